/**
 * The QR code of the TOTP enrolment page, made on the server by `uqr` (a dependency-free port of
 * Nayuki's QR Code generator): the otpauth:// URI goes in as data and only module coordinates
 * come out, so nothing typed by anyone can reach the markup. The library's SVG is inserted as
 * trusted Html only after it matched the exact shape that library makes (one background rect,
 * one path of squares); anything else (a changed library) is dropped, and the page still shows
 * the key and the link.
 */
import { renderSVG } from 'uqr';
import { Html } from './html.js';

/** What renderSVG makes: numbers and the two colour names we pass, nothing else. */
const SHAPE = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) \1"><rect fill="white" width="\1" height="\1"\/><path fill="black" d="[Mhvz0-9,-]*"\/><\/svg>$/;

/**
 * An SVG QR code of `data`, or null when it cannot be made. Error correction M (15%) survives a
 * glare or a scuffed screen; the 4-module quiet zone is what ISO/IEC 18004 asks for, so phones
 * find the code against any background.
 */
export function qrSvg(data: string): Html | null {
  let svg: string;
  try {
    svg = renderSVG(data, { ecc: 'M', border: 4, whiteColor: 'white', blackColor: 'black' });
  } catch {
    return null;
  }
  return SHAPE.test(svg) ? new Html(svg) : null;
}
