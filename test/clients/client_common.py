# test/clients/client_common.py
# Shared helpers for the Python mail clients used by Postern's end-to-end tests.
# Each client script takes ONE JSON argument (argv[1]) and prints ONE JSON object to stdout.
# Credentials: "user"/"password" are text, sent as UTF-8 bytes; "user_b64"/"password_b64"
# (base64 of raw bytes) override them for byte-exact tests. Server lines are reported as
# text decoded as UTF-8 with backslash escapes for invalid bytes.

import base64
import json
import ssl
import sys
import traceback


def load_args():
    if len(sys.argv) != 2:
        raise SystemExit('usage: %s JSON' % sys.argv[0])
    return json.loads(sys.argv[1])


def cred(args, name):
    """Return a credential as bytes (from NAME_b64 or NAME as UTF-8), or b'' if absent."""
    b64 = args.get(name + '_b64')
    if b64 is not None:
        return base64.b64decode(b64)
    v = args.get(name)
    if v is None:
        return b''
    return v.encode('utf-8')


def text(b):
    if b is None:
        return None
    if isinstance(b, str):
        return b
    return b.decode('utf-8', 'backslashreplace')


def ssl_context(args):
    """TLS context: verify against args['cafile'] when given, else accept any certificate.
    With args['certfile'] (and optionally args['keyfile']), present that client certificate."""
    cafile = args.get('cafile')
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = bool(args.get('check_hostname', False))
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    certfile = args.get('certfile')
    if certfile:
        ctx.load_cert_chain(certfile, args.get('keyfile') or None)
    return ctx


def b64(b):
    return base64.b64encode(b).decode('ascii')


def emit(result):
    sys.stdout.write(json.dumps(result, ensure_ascii=True))
    sys.stdout.write('\n')
    sys.stdout.flush()


def run(main):
    """Run main(args, result) and always print one JSON object."""
    result = {'ok': False, 'stage': 'start', 'error': None, 'transcript': []}
    try:
        args = load_args()
        main(args, result)
    except Exception as e:  # noqa: BLE001 - report everything to the caller
        result['ok'] = False
        result['error'] = '%s: %s' % (type(e).__name__, text(str(e)))
        result['traceback'] = traceback.format_exc()
    emit(result)
