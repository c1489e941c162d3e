// `App` and `Agent`: thin wrappers over the native classes. Every operation is the core's: its
// arguments go to the addon as one JSON text (the core reads them with its rules and names), and
// its result comes back through the addon's completion queue in a packed form (one string, one
// Float64Array) that `decode.generated.ts` builds the objects from; failures come back as
// `NativeError` objects that become the matching `GrantlineError` subclass. The methods App and
// Agent share are written once, in `Client`.
import { inspect } from 'node:util';
import {
  decodeCreateGrantResult,
  decodeDelegationResult,
  decodeGrantInfo,
  decodeGrantItems,
  decodeGrantPage,
  decodeRevokeGrantResult,
} from './decode.generated';
import { InvalidArgumentError, fromNative, isNativeError } from './errors';
import {
  native,
  type NativeAgent,
  type NativeApp,
  type NativeError,
  type NativeGrantCursor,
} from './native';
import type {
  AgentOptions,
  AgentPrincipal,
  AppOptions,
  Constraints,
  CreateGrantResult,
  CreateManagedSecretGrantOptions,
  DelegateOptions,
  DelegationResult,
  GrantInfo,
  GrantItem,
  GrantPage,
  ListGrantsOptions,
  MintGrantOptions,
  Principal,
  RevokeDelegationOptions,
  RevokeGrantOptions,
  RevokeGrantResult,
  RequestOptions,
  UserTokenGetter,
} from './types';
import { decodeProviderResponse, type ProviderResponse } from './response';

/** How long `close()` waits for pending audit records, in milliseconds. */
const FLUSH_MS = 10_000;

/** A `request` body in the core's byte form. */
function requestBody(body: RequestOptions['body']): unknown {
  if (body === undefined || typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return { base64: Buffer.from(body).toString('base64') };
  if (ArrayBuffer.isView(body)) {
    return { base64: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64') };
  }
  return body; // the core says what is wrong with it
}

interface OperationSpec {
  name: string;
  method: string;
  userTokenOption: string | null;
}

/** The core's operation table, by camelCase method name. */
const OPERATIONS: Record<string, OperationSpec> = Object.fromEntries(
  (JSON.parse(native.operations()) as OperationSpec[]).map((op) => [op.method, op]),
);

function encode(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (e) {
    // A BigInt or a cycle: nothing the core could read.
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

function unwrap<T>(value: T | NativeError): T {
  if (isNativeError(value)) throw fromNative(value);
  return value;
}

/** Builds a call's result from its packed form. */
type Build<T> = (text: string, numbers: Float64Array) => T;

/** The result of an operation that returns nothing. */
const nothing: Build<void> = () => undefined;

interface Waiter {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  build: Build<unknown>;
}

// Every running call of this module instance (one per JS environment: worker threads have their
// own) by token, and the addon's completion queue that reports them finished. The queue keeps the
// process alive only while `waiting` is not empty, as pending `async` native calls would.
const waiting = new Map<number, Waiter>();
let nextToken = 1;
const queue = new native.NativeQueue(settle);

/** Settles every finished call (run by the queue on this thread when calls have finished). */
function settle(): void {
  const done = queue.drain();
  for (let i = 0; i < done.length; i += 3) {
    const waiter = waiting.get(done[i] as number);
    if (waiter === undefined) continue;
    waiting.delete(done[i] as number);
    const text = done[i + 1];
    if (text === null) {
      waiter.reject(fromNative(done[i + 2] as NativeError));
      continue;
    }
    try {
      waiter.resolve(waiter.build(text as string, done[i + 2] as Float64Array));
    } catch (e) {
      waiter.reject(e);
    }
  }
  if (waiting.size === 0) queue.hold(false);
}

/** Starts a native call under a new token; resolves to its result built by `build`. */
function submit<T>(start: (token: number) => void, build: Build<T>): Promise<T> {
  const token = nextToken;
  nextToken = nextToken === 0xffffffff ? 1 : nextToken + 1;
  return new Promise<T>((resolve, reject) => {
    if (waiting.size === 0) queue.hold(true);
    waiting.set(token, { resolve: resolve as (value: unknown) => void, reject, build });
    try {
      start(token);
    } catch (e) {
      waiting.delete(token);
      if (waiting.size === 0) queue.hold(false);
      reject(e);
    }
  });
}

/** For the test suite: a panic inside the addon's runtime (an empty message: no panic). */
export function _panicForTests(message: string): Promise<GrantItem[]> {
  return submit((token) => native.panicForTests(queue, token, message), decodeGrantItems);
}

async function resolveToken(getter: UserTokenGetter): Promise<string> {
  let token: unknown;
  try {
    token = await getter();
  } catch (e) {
    throw new InvalidArgumentError(`userTokenGetter failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof token !== 'string' || token === '') {
    throw new InvalidArgumentError('userTokenGetter must return a non-empty string');
  }
  return token;
}

async function* walk(cursor: NativeGrantCursor): AsyncGenerator<GrantItem, void, undefined> {
  for (;;) {
    const items = await submit((token) => cursor.nextBatch(queue, token), decodeGrantItems);
    if (items.length === 0) return;
    yield* items;
  }
}

// A native client (and getter) handed to a constructor by `getAgent`/`withConstraints`, under a
// key no user can write.
const ADOPT = Symbol('grantline.adopt');

interface Adopted<N> {
  native: N;
  getter: UserTokenGetter | null;
}

function adopted<N>(options: unknown): Adopted<N> | undefined {
  return (options as Record<symbol, Adopted<N> | undefined> | undefined)?.[ADOPT];
}

function adopt<N, O>(native: N, getter: UserTokenGetter | null): O {
  return { [ADOPT]: { native, getter } } as unknown as O;
}

/** What `App` and `Agent` share: the operations both have, settings, closing, display. */
abstract class Client<P extends Principal> {
  readonly #native: NativeApp | NativeAgent;
  readonly #getter: UserTokenGetter | null;

  protected constructor(nativeClient: NativeApp | NativeAgent, getter: UserTokenGetter | null) {
    this.#native = nativeClient;
    this.#getter = getter;
  }

  /** The app's user-token getter (none for an agent). */
  protected get getter(): UserTokenGetter | null {
    return this.#getter;
  }

  /** `args` with the end-user token an app's getter supplies, where `method` takes one. */
  async #withUserToken(method: string, args: object): Promise<object> {
    const option = OPERATIONS[method]?.userTokenOption ?? null;
    if (option === null || this.#getter === null || (args as Record<string, unknown>)[option] != null) {
      return args;
    }
    return { ...args, [option]: await resolveToken(this.#getter) };
  }

  /** @internal Runs the core operation behind `method` with `args` (JavaScript names). */
  protected async operation<T>(method: string, args: object, build: Build<T>): Promise<T> {
    const op = OPERATIONS[method];
    if (op === undefined) throw new InvalidArgumentError(`no such operation: ${method}`);
    const text = encode(await this.#withUserToken(method, args));
    return submit((token) => this.#native.call(queue, token, op.name, text), build);
  }

  /** The resolved base URL. */
  get baseUrl(): string {
    return this.#native.baseUrl;
  }

  /** The actor id the server returned, once it has. */
  get actorId(): string | null {
    return this.#native.actorId ?? null;
  }

  /**
   * Issues a grant on a managed secret to `principal` (an agent: only to itself). Never retried
   * once the server may have acted on it. `timeout` (ms) overrides the client's for this call.
   */
  createManagedSecretGrant(
    managedSecretId: string,
    options: CreateManagedSecretGrantOptions<P>,
  ): Promise<CreateGrantResult> {
    return this.operation('createManagedSecretGrant', { managedSecretId, ...options }, decodeCreateGrantResult);
  }

  /** One page of the grants this client can see. Filters are AND-ed; `limit` is 1–1000. */
  listGrants(options: ListGrantsOptions = {}): Promise<GrantPage> {
    return this.operation('listGrants', options, decodeGrantPage);
  }

  /** Every grant matching `options`, page after page: `for await (const g of app.iterGrants())`. */
  iterGrants(options: ListGrantsOptions = {}): AsyncGenerator<GrantItem, void, undefined> {
    const pages = async (): Promise<NativeGrantCursor> =>
      unwrap(this.#native.grants(encode(await this.#withUserToken('listGrants', options))));
    return (async function* () {
      yield* walk(await pages());
    })();
  }

  /**
   * Calls a provider's API with a grant's credential injected, and returns its response
   * (`status`, `headers`, `text()`, `json()`, `arrayBuffer()`). The grant is `grantId`, or the
   * one `provider` resolves to. The credential goes only to https URLs (plain http only to
   * localhost) and to the secret's allowed base URLs; the call is never retried and redirects
   * are returned, not followed. It is recorded in the background (`close()` waits for the
   * record). A status of 400 or more throws `ProviderApiError` (401:
   * `ProviderUnauthorizedError`; 403 `insufficient_scope`: `ScopeReauthRequiredError`).
   */
  request(method: string, url: string, options: RequestOptions = {}): Promise<ProviderResponse> {
    const args = { method, url, ...options, body: requestBody(options.body) };
    return this.operation('request', args, decodeProviderResponse);
  }

  /**
   * Closes the client (later calls throw `ClientClosedError`) at once; the promise resolves
   * when the audit records of earlier `request` calls are written (at most 10 s).
   */
  async close(): Promise<void> {
    this.#native.close();
    if (this.#native.pendingBackground() > 0) await this.#native.flush(FLUSH_MS);
  }

  /** @internal The native client of a constrained copy (see `withConstraints`). */
  protected constrainedNative<N>(native: { withConstraints(c: string): N | NativeError }, constraints: Constraints): N {
    return unwrap(native.withConstraints(encode(constraints)));
  }

  protected describe(extra = ''): string {
    return `${this.constructor.name} { baseUrl: ${JSON.stringify(this.baseUrl)}${extra}, apiKey: '<redacted>' }`;
  }

  toString(): string {
    return this.describe();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function checkGetter(getter: unknown): UserTokenGetter | null {
  if (getter == null) return null;
  if (typeof getter !== 'function') throw new InvalidArgumentError('userTokenGetter must be a function');
  return getter as UserTokenGetter;
}

/** The operator client: issues, lists and revokes grants for an app. */
export class App extends Client<Principal> {
  readonly #native: NativeApp;

  constructor(options: AppOptions) {
    const given = adopted<NativeApp>(options);
    let made: Adopted<NativeApp>;
    if (given !== undefined) {
      made = given;
    } else {
      const { userTokenGetter, ...settings } = options ?? ({} as AppOptions);
      made = { getter: checkGetter(userTokenGetter), native: unwrap(native.NativeApp.create(encode(settings))) };
    }
    super(made.native, made.getter);
    this.#native = made.native;
  }

  /** Revokes a grant of either kind; with `userToken` (or `userTokenGetter`), as that end user. */
  revokeGrant(grantId: string, options: RevokeGrantOptions = {}): Promise<RevokeGrantResult> {
    return this.operation('revokeGrant', { grantId, ...options }, decodeRevokeGrantResult);
  }

  /**
   * Mints a sibling grant on the source grant's credential: the same principal, its own `label`
   * and policy. Delegations are not copied.
   */
  mintGrant(sourceGrantId: string, options: MintGrantOptions): Promise<GrantInfo> {
    return this.operation('mintGrant', { sourceGrantId, ...options }, decodeGrantInfo);
  }

  /** Revokes agent `agentId`'s delegation of `grantId` and every one below it. Idempotent. */
  revokeDelegation(grantId: string, agentId: string, options: RevokeDelegationOptions = {}): Promise<void> {
    return this.operation('revokeDelegation', { grantId, agentId, ...options }, nothing);
  }

  /**
   * A client sharing this one's connections whose every call carries `constraints` inside the
   * signature. Attenuation only narrows: call it on the original client, not a constrained one.
   */
  withConstraints(constraints: Constraints): App {
    return new App(adopt(this.constrainedNative(this.#native, constraints), this.getter));
  }

  /** An `Agent` acting as the managed agent `agentId` through this app's key. */
  getAgent(agentId: string): Agent {
    const agent = unwrap(this.#native.getAgent(typeof agentId === 'string' ? agentId : String(agentId)));
    return new Agent(adopt(agent, null));
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }
}

/** The workload client: an agent lists its grants and issues grants for itself. */
export class Agent extends Client<AgentPrincipal> {
  readonly #native: NativeAgent;

  constructor(options: AgentOptions) {
    const created = adopted<NativeAgent>(options)?.native ?? unwrap(native.NativeAgent.create(encode(options ?? {})));
    super(created, null);
    this.#native = created;
  }

  /**
   * Hands a grant this agent holds to another agent of the same app, one level deeper: the child
   * never outlives it (`ttlSeconds` only shortens) nor outranks it (`scopeConstraint` only
   * narrows); `delegable: true` lets it delegate onward.
   */
  delegate(grantId: string, toAgentId: string, options: DelegateOptions = {}): Promise<DelegationResult> {
    return this.operation('delegate', { grantId, toAgentId, ...options }, decodeDelegationResult);
  }

  /** Revokes this agent's own delegation of `grantId` (and every one below it). Idempotent. */
  revokeDelegation(grantId: string, options: RevokeDelegationOptions = {}): Promise<void> {
    return this.operation('revokeDelegation', { grantId, ...options }, nothing);
  }

  /** See `App.withConstraints`. */
  withConstraints(constraints: Constraints): Agent {
    return new Agent(adopt(this.constrainedNative(this.#native, constraints), null));
  }

  /** The impersonated agent id, for agents made by `App.getAgent`. */
  get caller(): string | null {
    return this.#native.caller ?? null;
  }

  override toString(): string {
    const caller = this.caller;
    return this.describe(caller ? `, caller: ${JSON.stringify(caller)}` : '');
  }

  toJSON(): { baseUrl: string; caller: string | null } {
    return { baseUrl: this.baseUrl, caller: this.caller };
  }
}

/** Whether `key` has the shape and checksum of an Alter API key (no network call). */
export function isValidKey(key: string): boolean {
  return typeof key === 'string' && native.isValidKey(key);
}
