/**
 * A User-Agent header in the words of a session list: "Chrome 120 on Linux". Only the common
 * browsers and systems are named; anything else is shown shortened as it came. The result is
 * text to escape, never markup.
 */
export function describeBrowser(userAgent: string): string {
  const ua = userAgent.trim();
  if (ua === '') return 'unknown client';
  const browser =
    match(ua, /Edg\/(\d+)/, 'Edge') ??
    match(ua, /OPR\/(\d+)/, 'Opera') ??
    match(ua, /Firefox\/(\d+)/, 'Firefox') ??
    match(ua, /(?:HeadlessChrome|Chromium|Chrome)\/(\d+)/, /HeadlessChrome/.test(ua) ? 'Headless Chrome' : 'Chrome') ??
    match(ua, /Version\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//, 'Safari') ??
    match(ua, /^curl\/(\d+)/, 'curl');
  const system = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser === null) return ua.length > 60 ? `${ua.slice(0, 57)}...` : ua;
  return system ? `${browser} on ${system}` : browser;
}

function match(ua: string, re: RegExp, name: string): string | null {
  const m = re.exec(ua);
  return m ? `${name} ${m[1]}` : null;
}
