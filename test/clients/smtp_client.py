#!/usr/bin/env python3
# test/clients/smtp_client.py
# A real SMTP client (Python smtplib; AUTH, MAIL and RCPT sent as raw commands so that
# UTF-8 credentials work and every reply code is kept) for Postern's end-to-end tests.
# Usage: python3 smtp_client.py '{"port": 1025, "user": "alice", "password": "pw",
#                                 "mail_from": "a@x.test", "rcpt_to": ["b@y.test"]}'
# Arguments (JSON):
#   host ("127.0.0.1"), port, timeout (10 s)
#   tls: "none" | "starttls" | "implicit"; cafile (else any certificate is accepted)
#   certfile, keyfile: client certificate (PEM) presented in the TLS handshake
#   ehlo_name ("client.test"); helo: true to send HELO instead of EHLO
#   mech: "plain" (default when user is given, initial response) | "plain-continue"
#         | "login" | "cram-md5" | "external" (AUTH EXTERNAL, response after the 334)
#         | "external-ir" (AUTH EXTERNAL <response>) | "none" (default without user)
#   user, password (text, sent as UTF-8) or user_b64, password_b64; authzid (PLAIN, EXTERNAL)
#   empty_response (EXTERNAL): what stands for an empty authzid: "=" (default) or ""
#   mail_from, rcpt_to [..] (no mail transaction without mail_from)
#   data: full message text (default: small message with "subject")
#   subject ("postern test")
# Output (JSON): ok, stage, error, greeting {code, text}, ehlo {code, text, features},
#   starttls {code, text}, auth {code, text}, auth_challenge {code, text} (EXTERNAL only:
#   the 334 prompt, if any), mail {code, text}, rcpt [{code, text}],
#   data {code, text}, transcript ["S: ..", "C: .."]
#   (code is the server's numeric reply; text the reply lines joined with "\n").

import base64
import hmac
import smtplib

from client_common import b64, cred, run, ssl_context, text


class Recorder:
    def _rec_init(self):
        self.transcript = []

    def send(self, s):
        b = s.encode('ascii') if isinstance(s, str) else s
        if not getattr(self, '_in_data', False):
            for part in b.split(b'\r\n'):
                if part:
                    self.transcript.append('C: ' + text(part))
        else:
            self.transcript.append('C: <message %d bytes>' % len(b))
        return super().send(s)

    def getreply(self):
        code, msg = super().getreply()
        for line in msg.split(b'\n') if msg else [b'']:
            self.transcript.append('S: %d %s' % (code, text(line)))
        return code, msg


class SMTP(Recorder, smtplib.SMTP):
    def __init__(self, *a, **kw):
        self._rec_init()
        super().__init__(*a, **kw)

    def data(self, msg):
        # Mark the body so that the transcript holds its size, not its lines.
        code, repl = self.docmd('DATA')
        if code != 354:
            return code, repl
        self._in_data = True
        try:
            q = smtplib._quote_periods(smtplib._fix_eols(msg).encode('utf-8') if isinstance(msg, str) else msg)
            if q[-2:] != b'\r\n':
                q = q + b'\r\n'
            q = q + b'.\r\n'
            self.send(q)
        finally:
            self._in_data = False
        return self.getreply()


class SMTPS(SMTP, smtplib.SMTP_SSL):
    pass


def reply(pair):
    code, msg = pair
    return {'code': code, 'text': text(msg)}


def main(args, result):
    host = args.get('host', '127.0.0.1')
    port = int(args['port'])
    timeout = float(args.get('timeout', 10))
    tls = args.get('tls', 'none')
    user = cred(args, 'user')
    password = cred(args, 'password')
    mech = args.get('mech', 'plain' if (args.get('user') is not None or args.get('user_b64') is not None) else 'none')
    ehlo_name = args.get('ehlo_name', 'client.test')

    result['stage'] = 'connect'
    if tls == 'implicit':
        S = SMTPS(local_hostname=ehlo_name, timeout=timeout, context=ssl_context(args))
    else:
        S = SMTP(local_hostname=ehlo_name, timeout=timeout)
    result['transcript'] = S.transcript
    S._host = host  # smtplib uses it as the TLS server_hostname
    try:
        g = S.connect(host, port)
        result['greeting'] = reply(g)
        if g[0] != 220:
            return

        def hello():
            if args.get('helo'):
                r = S.helo(ehlo_name)
            else:
                r = S.ehlo(ehlo_name)
            out = reply(r)
            out['features'] = dict(S.esmtp_features) if not args.get('helo') else {}
            result['ehlo'] = out
            return r[0] == 250

        result['stage'] = 'ehlo'
        if not hello():
            return

        if tls == 'starttls':
            result['stage'] = 'starttls'
            S.esmtp_features.setdefault('starttls', '')  # try even if not advertised
            r = S.starttls(context=ssl_context(args))
            result['starttls'] = reply(r)
            if r[0] != 220:
                return
            result['stage'] = 'ehlo'
            if not hello():
                return

        if mech != 'none':
            result['stage'] = 'auth'
            authzid = cred(args, 'authzid')
            if mech == 'plain':
                r = S.docmd('AUTH', 'PLAIN ' + b64(authzid + b'\0' + user + b'\0' + password))
            elif mech == 'plain-continue':
                r = S.docmd('AUTH', 'PLAIN')
                if r[0] == 334:
                    r = S.docmd(b64(authzid + b'\0' + user + b'\0' + password))
            elif mech == 'login':
                r = S.docmd('AUTH', 'LOGIN')
                if r[0] == 334:
                    r = S.docmd(b64(user))
                    if r[0] == 334:
                        r = S.docmd(b64(password))
            elif mech in ('external', 'external-ir'):
                resp = b64(authzid) if authzid else args.get('empty_response', '=')
                if mech == 'external-ir':
                    r = S.docmd('AUTH', 'EXTERNAL ' + (resp or '='))
                else:
                    r = S.docmd('AUTH', 'EXTERNAL')
                    if r[0] == 334:
                        result['auth_challenge'] = reply(r)
                        r = S.docmd(resp)
            elif mech == 'cram-md5':
                r = S.docmd('AUTH', 'CRAM-MD5')
                if r[0] == 334:
                    challenge = base64.b64decode(r[1])
                    r = S.docmd(b64(user + b' ' + hmac.new(password, challenge, 'md5').hexdigest().encode('ascii')))
            else:
                raise ValueError('unknown mech %r' % mech)
            result['auth'] = reply(r)
            if r[0] != 235:
                return

        mail_from = args.get('mail_from')
        if mail_from is not None:
            result['stage'] = 'mail'
            r = S.docmd('MAIL', 'FROM:<%s>' % mail_from)
            result['mail'] = reply(r)
            if r[0] != 250:
                return
            result['stage'] = 'rcpt'
            rcpts = []
            result['rcpt'] = rcpts
            accepted = 0
            for to in args.get('rcpt_to', []):
                r = S.docmd('RCPT', 'TO:<%s>' % to)
                rcpts.append(reply(r))
                if r[0] in (250, 251):
                    accepted += 1
            if accepted == 0:
                return
            result['stage'] = 'data'
            msg = args.get('data')
            if msg is None:
                msg = ('From: <%s>\r\nTo: %s\r\nSubject: %s\r\n\r\nHello from the Postern tests.\r\n'
                       % (mail_from, ', '.join('<%s>' % t for t in args.get('rcpt_to', [])),
                          args.get('subject', 'postern test')))
            r = S.data(msg)
            result['data'] = reply(r)
            if r[0] != 250:
                return
            if accepted != len(args.get('rcpt_to', [])):
                return

        result['stage'] = 'quit'
        try:
            S.quit()
        except (smtplib.SMTPException, OSError):
            pass
        result['stage'] = 'done'
        result['ok'] = True
    except smtplib.SMTPServerDisconnected as e:
        result['error'] = 'SMTPServerDisconnected: %s' % e
        result['transcript'].append('S: <EOF>')
    finally:
        try:
            S.close()
        except Exception:  # noqa: BLE001
            pass


if __name__ == '__main__':
    run(main)
