#!/usr/bin/env python3
# test/clients/imap_client.py
# A real IMAP client (Python imaplib) for Postern's end-to-end tests.
# Usage: python3 imap_client.py '{"port": 1143, "user": "alice", "password": "pw", ...}'
# Arguments (JSON):
#   host ("127.0.0.1"), port, timeout (10 s)
#   tls: "none" | "starttls" | "implicit"; cafile (else any certificate is accepted)
#   certfile, keyfile: client certificate (PEM) presented in the TLS handshake
#   user, password (text, sent as UTF-8) or user_b64, password_b64 (raw bytes)
#   mech: "login" (default) | "plain" (AUTHENTICATE PLAIN) | "authlogin" (AUTHENTICATE LOGIN)
#         | "cram-md5" | "external" (AUTHENTICATE EXTERNAL) | "none" (no login)
#   authzid (PLAIN and EXTERNAL, default empty)
#   sasl_ir (EXTERNAL only): send the response on the command line (SASL-IR) instead of
#         after the "+" continuation (default false)
#   empty_response (EXTERNAL only): what stands for an empty authzid: "=" (default) or ""
#   login_mode (LOGIN only): "auto" (default: imaplib's login() for atom-safe ASCII user
#         names, quoted strings for other printable ASCII, literals otherwise) |
#         "imaplib" | "quoted" | "literal"
#   select: mailbox name (default "INBOX" when fetch is true, else none)
#   fetch: true to fetch the Subject (and size) of every message (default false)
# Output (JSON): ok, stage, error, greeting, capability [..], login {ok, tagged, mode,
#   challenge (EXTERNAL: the text after "+ " of the continuation, or null)},
#   select {ok, exists, tagged}, messages [{seq, subject, size}], transcript ["S: ..", "C: .."]
#   ("tagged" is the exact tagged reply line the server sent to the command).

import base64
import email.parser
import email.policy
import hmac
import imaplib
import re

from client_common import cred, run, ssl_context, text


class Recorder:
    def _rec_init(self):
        self.transcript = []

    def _get_line(self):
        line = super()._get_line()
        self.transcript.append('S: ' + text(line))
        return line

    def read(self, size):
        data = super().read(size)
        self.transcript.append('S: <literal %d bytes>' % len(data))
        return data

    def send(self, data):
        for part in data.split(b'\r\n'):
            if part:
                self.transcript.append('C: ' + text(part))
        return super().send(data)


class IMAP(Recorder, imaplib.IMAP4):
    def __init__(self, *a, **kw):
        self._rec_init()
        super().__init__(*a, **kw)


class IMAPS(Recorder, imaplib.IMAP4_SSL):
    def __init__(self, *a, **kw):
        self._rec_init()
        super().__init__(*a, **kw)


ATOM_SAFE = re.compile(rb'^[!#$&\'+,\-./0-9:;<=>?@A-Z\^_`a-z|~]+$')


def quote(b):
    return b'"' + b.replace(b'\\', b'\\\\').replace(b'"', b'\\"') + b'"'


def next_tag(M):
    return M.tagpre + str(M.tagnum).encode('ascii')


def tagged_line(M, tag):
    prefix = 'S: ' + text(tag) + ' '
    for line in reversed(M.transcript):
        if line.startswith(prefix):
            return line[3:]
    return None


def wait_continuation_or_tagged(M, tag):
    """Read lines until a '+' continuation (returns None) or the tagged reply (returns it)."""
    while True:
        line = M._get_line()
        if line.startswith(b'+'):
            return None
        if line.startswith(tag + b' '):
            return line


def manual_login(M, user, password, mode):
    """LOGIN with quoted strings or synchronizing literals; returns (ok, tagged line)."""
    tag = M._new_tag()
    if mode == 'quoted':
        M.send(tag + b' LOGIN ' + quote(user) + b' ' + quote(password) + b'\r\n')
    else:
        M.send(tag + b' LOGIN {%d}\r\n' % len(user))
        r = wait_continuation_or_tagged(M, tag)
        if r is not None:
            return False, r
        M.send(user + b' {%d}\r\n' % len(password))
        r = wait_continuation_or_tagged(M, tag)
        if r is not None:
            return False, r
        M.send(password + b'\r\n')
    while True:
        line = M._get_line()
        if line.startswith(tag + b' '):
            ok = line[len(tag) + 1:].upper().startswith(b'OK')
            if ok:
                M.state = 'AUTH'
            return ok, line


def external_login(M, authzid, sasl_ir, empty, login):
    """AUTHENTICATE EXTERNAL by hand (imaplib has no SASL-IR); returns (ok, tagged line)."""
    resp = base64.b64encode(authzid) if authzid else empty.encode('ascii')
    tag = M._new_tag()
    login['challenge'] = None
    if sasl_ir:
        M.send(tag + b' AUTHENTICATE EXTERNAL ' + (resp or b'=') + b'\r\n')
    else:
        M.send(tag + b' AUTHENTICATE EXTERNAL\r\n')
    while True:
        line = M._get_line()
        if line.startswith(b'+'):
            login['challenge'] = text(line[2:])
            M.send(resp + b'\r\n')
            continue
        if line.startswith(tag + b' '):
            ok = line[len(tag) + 1:].upper().startswith(b'OK')
            if ok:
                M.state = 'AUTH'
            return ok, line


def main(args, result):
    host = args.get('host', '127.0.0.1')
    port = int(args['port'])
    timeout = float(args.get('timeout', 10))
    tls = args.get('tls', 'none')
    mech = args.get('mech', 'login')
    user = cred(args, 'user')
    password = cred(args, 'password')

    result['stage'] = 'connect'
    if tls == 'implicit':
        M = IMAPS(host, port, ssl_context=ssl_context(args), timeout=timeout)
    else:
        M = IMAP(host, port, timeout=timeout)
    result['transcript'] = M.transcript
    result['greeting'] = text(M.welcome)
    try:
        if tls == 'starttls':
            result['stage'] = 'starttls'
            M.starttls(ssl_context=ssl_context(args))
        result['capability'] = list(M.capabilities)

        if mech != 'none':
            result['stage'] = 'login'
            tag = next_tag(M)
            login = {'ok': False, 'tagged': None}
            result['login'] = login
            try:
                if mech == 'login':
                    mode = args.get('login_mode', 'auto')
                    if mode == 'auto':
                        if ATOM_SAFE.match(user) and all(0x20 <= c < 0x7f for c in password):
                            mode = 'imaplib'
                        elif all(0x20 <= c < 0x7f for c in user + password):
                            mode = 'quoted'
                        else:
                            mode = 'literal'
                    login['mode'] = mode
                    if mode == 'imaplib':
                        M.login(user.decode('ascii'), password.decode('ascii'))
                        login['ok'] = True
                    else:
                        ok, _ = manual_login(M, user, password, mode)
                        login['ok'] = ok
                elif mech == 'plain':
                    authzid = cred(args, 'authzid')
                    M.authenticate('PLAIN', lambda _c: authzid + b'\0' + user + b'\0' + password)
                    login['ok'] = True
                elif mech == 'authlogin':
                    M.authenticate('LOGIN', lambda c: user if c.lower().startswith(b'user') else password)
                    login['ok'] = True
                elif mech == 'external':
                    ok, _ = external_login(M, cred(args, 'authzid'), bool(args.get('sasl_ir')),
                                           args.get('empty_response', '='), login)
                    login['ok'] = ok
                elif mech == 'cram-md5':
                    M.authenticate('CRAM-MD5', lambda c: user + b' ' + hmac.new(password, c, 'md5').hexdigest().encode('ascii'))
                    login['ok'] = True
                else:
                    raise ValueError('unknown mech %r' % mech)
            except (imaplib.IMAP4.error, OSError, EOFError) as e:
                login['ok'] = False
                result['error'] = '%s: %s' % (type(e).__name__, text(str(e)))
            login['tagged'] = tagged_line(M, tag)
            if not login['ok']:
                return

        mailbox = args.get('select')
        if mailbox is None and args.get('fetch'):
            mailbox = 'INBOX'
        if mailbox:
            result['stage'] = 'select'
            tag = next_tag(M)
            typ, data = M.select(mailbox)
            exists = int(data[0]) if typ == 'OK' and data and data[0] is not None else None
            result['select'] = {'ok': typ == 'OK', 'exists': exists, 'tagged': tagged_line(M, tag)}
            if typ != 'OK':
                return
            if args.get('fetch'):
                result['stage'] = 'fetch'
                messages = []
                if exists:
                    typ, data = M.fetch('1:*', '(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
                    if typ != 'OK':
                        return
                    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
                    for item in data:
                        if not isinstance(item, tuple):
                            continue
                        head, body = item
                        m = re.match(rb'(\d+) \(', head)
                        size = re.search(rb'RFC822\.SIZE (\d+)', head)
                        hdrs = parser.parsebytes(body)
                        messages.append({
                            'seq': int(m.group(1)) if m else None,
                            'subject': hdrs.get('subject'),
                            'size': int(size.group(1)) if size else None,
                        })
                result['messages'] = messages

        result['stage'] = 'logout'
        try:
            M.logout()
        except (imaplib.IMAP4.error, OSError, EOFError):
            pass
        result['stage'] = 'done'
        result['ok'] = True
    finally:
        try:
            M.shutdown()
        except Exception:  # noqa: BLE001
            pass


if __name__ == '__main__':
    run(main)
