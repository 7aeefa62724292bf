/**
 * A client session whose state machine is made at the client's first input. Until then the
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

export function sessionOnInput<Settings>(kind: SessionKind<Settings>, settings: Settings, env: SessionEnv, facts: ConnectionFacts): ClientSession {
  return new SessionOnInput(kind, settings, env, facts);
}

/** A class, not closures: it is what an idle connection holds. */
class SessionOnInput<Settings> implements ClientSession {
  private made: ClientSession | undefined;

  constructor(
    private readonly kind: SessionKind<Settings>,
    private readonly settings: Settings,
    private readonly env: SessionEnv,
    private readonly facts: ConnectionFacts,
  ) {}

  start(): SessionAction[] {
    return this.kind.greeting(this.settings, this.env);
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
    return (this.made ??= this.kind.machine(this.settings, this.env, this.facts));
  }
}
