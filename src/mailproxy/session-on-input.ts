/**
 * Client sessions whose state machine is made at the client's first input. Until then the
 * client has only been greeted, and a greeting that depends on nothing the session keeps can be
 * sent without it. Thousands of clients may sit greeted and idle before login (or never send a
 * byte); a state machine (a few dozen closures and a command reader) would be most of each one's
 * memory beyond Node's own socket. The machine sees exactly the calls it would have seen, minus
 * its `start`, so a protocol's greeting must come from `greeting` alone.
 */
import type { AuthReply, ClientTls } from '../authclient/index.js';
import type { ClientSession, ConnectionFacts, SessionAction, SessionEnv } from './session.js';

export interface SessionKind<Settings> {
  /** What the machine's `start` would return, from the settings alone. */
  greeting(settings: Settings, env: SessionEnv): SessionAction[];
  machine(settings: Settings, env: SessionEnv, facts: ConnectionFacts): ClientSession;
}

/** A listener's sessions of one kind: what they have in common is kept once, here, not in each. */
export function sessionsOnInput<Settings>(kind: SessionKind<Settings>, settings: Settings, env: SessionEnv): (facts: ConnectionFacts) => ClientSession {
  const common = new Common(kind, settings, env);
  return (facts) => new SessionOnInput(common, facts);
}

class Common<Settings> {
  constructor(
    readonly kind: SessionKind<Settings>,
    readonly settings: Settings,
    readonly env: SessionEnv,
  ) {}
}

/** A class, not closures, with two fields: it is what an idle connection holds. */
class SessionOnInput<Settings> implements ClientSession {
  /** The listener's common part until the machine is made, then the machine. */
  private current: Common<Settings> | ClientSession;

  constructor(
    common: Common<Settings>,
    private readonly facts: ConnectionFacts,
  ) {
    this.current = common;
  }

  /** The shell calls it once, before any input: the machine is not made yet. */
  start(): SessionAction[] {
    const c = this.current;
    return c instanceof Common ? c.kind.greeting(c.settings, c.env) : [];
  }

  onData(bytes: Buffer): SessionAction[] {
    return this.machine().onData(bytes);
  }

  onTlsStarted(tls: ClientTls): SessionAction[] {
    return this.machine().onTlsStarted(tls);
  }

  onAuthReply(reply: AuthReply): SessionAction[] {
    return this.machine().onAuthReply(reply);
  }

  private machine(): ClientSession {
    const c = this.current;
    if (!(c instanceof Common)) return c;
    return (this.current = c.kind.machine(c.settings, c.env, this.facts));
  }
}
