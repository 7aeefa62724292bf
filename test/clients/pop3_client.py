#!/usr/bin/env python3
# test/clients/pop3_client.py
# A real POP3 client (Python poplib, commands sent raw) for Postern's end-to-end tests.
# Usage: python3 pop3_client.py '{"port": 1110, "user": "alice", "password": "pw"}'
# Arguments (JSON):
#   host ("127.0.0.1"), port, timeout (10 s)
#   tls: "none" | "starttls" (STLS) | "implicit"; cafile (else any certificate is accepted)
#   user, password (text, sent as UTF-8) or user_b64, password_b64 (raw bytes)
#   mech: "user" (USER/PASS, default) | "plain" (AUTH PLAIN <initial response>)
#         | "plain-continue" (AUTH PLAIN, then the response) | "login" (AUTH LOGIN)
#         | "apop" | "cram-md5" | "none"
#   authzid (PLAIN only)
#   stat (default true), retr: message number to fetch (default 1 when the mailbox is not
#   empty; 0 = none)
# Output (JSON): ok, stage, error, greeting, login {ok, reply}, stat {count, size},
#   retr {reply, subject, text}, transcript ["S: ..", "C: .."]
#   ("reply" is the exact last status line the server sent to the login).

import base64
import email.parser
import email.policy
import hashlib
import hmac
import poplib
import re

from client_common import b64, cred, run, ssl_context, text


class Recorder:
    def _rec_init(self):
        self.transcript = []

    def _putline(self, line):
        self.transcript.append('C: ' + text(line))
        return super()._putline(line)

    def _getline(self):
        line, octets = super()._getline()
        self.transcript.append('S: ' + text(line))
        return line, octets


class POP(Recorder, poplib.POP3):
    def __init__(self, *a, **kw):
        self._rec_init()
        super().__init__(*a, **kw)


class POPS(Recorder, poplib.POP3_SSL):
    def __init__(self, *a, **kw):
        self._rec_init()
        super().__init__(*a, **kw)


def cmd(P, line):
    """Send one raw line; return the reply line (bytes). '-ERR' is returned, not raised;
    b'' means the server closed the connection (transcript: 'S: <EOF>')."""
    P._putline(line)
    try:
        return P._getresp()
    except poplib.error_proto as e:
        if e.args and isinstance(e.args[0], bytes):
            return e.args[0]
        P.transcript.append('S: <EOF>')
        return b''


def main(args, result):
    host = args.get('host', '127.0.0.1')
    port = int(args['port'])
    timeout = float(args.get('timeout', 10))
    tls = args.get('tls', 'none')
    mech = args.get('mech', 'user')
    user = cred(args, 'user')
    password = cred(args, 'password')

    result['stage'] = 'connect'
    if tls == 'implicit':
        P = POPS(host, port, timeout=timeout, context=ssl_context(args))
    else:
        P = POP(host, port, timeout=timeout)
    result['transcript'] = P.transcript
    result['greeting'] = text(P.welcome)
    try:
        if tls == 'starttls':
            result['stage'] = 'starttls'
            P.stls(context=ssl_context(args))

        if mech != 'none':
            result['stage'] = 'login'
            if mech == 'user':
                r = cmd(P, b'USER ' + user)
                if r.startswith(b'+OK'):
                    r = cmd(P, b'PASS ' + password)
            elif mech == 'plain':
                r = cmd(P, b'AUTH PLAIN ' + b64(cred(args, 'authzid') + b'\0' + user + b'\0' + password).encode())
            elif mech == 'plain-continue':
                r = cmd(P, b'AUTH PLAIN')
                if r.startswith(b'+ ') or r == b'+':
                    r = cmd(P, b64(cred(args, 'authzid') + b'\0' + user + b'\0' + password).encode())
            elif mech == 'login':
                r = cmd(P, b'AUTH LOGIN')
                if r.startswith(b'+ ') or r == b'+':
                    r = cmd(P, b64(user).encode())
                    if r.startswith(b'+ ') or r == b'+':
                        r = cmd(P, b64(password).encode())
            elif mech == 'apop':
                m = re.search(rb'<[^>]*>', P.welcome)
                if not m:
                    raise ValueError('no APOP timestamp in greeting %r' % P.welcome)
                digest = hashlib.md5(m.group(0) + password).hexdigest().encode('ascii')
                r = cmd(P, b'APOP ' + user + b' ' + digest)
            elif mech == 'cram-md5':
                r = cmd(P, b'AUTH CRAM-MD5')
                if r.startswith(b'+ '):
                    challenge = base64.b64decode(r[2:])
                    digest = hmac.new(password, challenge, 'md5').hexdigest().encode('ascii')
                    r = cmd(P, b64(user + b' ' + digest).encode())
            else:
                raise ValueError('unknown mech %r' % mech)
            ok = r.startswith(b'+OK')
            result['login'] = {'ok': ok, 'reply': text(r)}
            if not ok:
                return

        if args.get('stat', True):
            result['stage'] = 'stat'
            count, size = P.stat()
            result['stat'] = {'count': count, 'size': size}
            n = args.get('retr')
            if n is None:
                n = 1 if count > 0 else 0
            if n:
                result['stage'] = 'retr'
                resp, lines, _octets = P.retr(int(n))
                raw = b'\r\n'.join(lines) + b'\r\n'
                msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
                result['retr'] = {'reply': text(resp), 'subject': msg.get('subject'), 'text': text(raw)}

        result['stage'] = 'quit'
        try:
            P.quit()
        except (poplib.error_proto, OSError):
            pass
        result['stage'] = 'done'
        result['ok'] = True
    finally:
        try:
            P.close()
        except Exception:  # noqa: BLE001
            pass


if __name__ == '__main__':
    run(main)
