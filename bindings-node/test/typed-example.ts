// A typed example: must compile under `tsc --strict` (npm run typecheck). Not executed by the
// suite; it checks that the public types narrow and reject what they should.
import {
  App,
  Agent,
  ApiError,
  CredentialIdRequiredError,
  SiblingLabelConflictError,
  RateLimitError,
  userPrincipal,
  groupPrincipal,
  systemPrincipal,
  agentPrincipal,
  isValidKey,
  type GrantItem,
  type GrantPage,
  type Principal,
  type CreateGrantResult,
} from 'grantline';

export async function example(env: Record<string, string>): Promise<void> {
  const app = new App({ apiKey: env.KEY!, baseUrl: 'http://127.0.0.1:8787', timeout: 5_000, maxRetries: 1 });
  const agent: Agent = app.getAgent(env.AGENT_ID!);
  const principals: Principal[] = [
    userPrincipal('jwt', 'alice'),
    groupPrincipal('eng', 'idp', 'eng-prod'),
    systemPrincipal('cron'),
    { type: 'system' },
    { type: 'user', userToken: 'jwt', label: 'bob' },
  ];
  for (const principal of principals) {
    const g: CreateGrantResult = await app.createManagedSecretGrant('ms', {
      principal,
      grantPolicy: { expiresAt: new Date(), maxTtlSeconds: 60 },
    });
    const created: Date = g.createdAt;
    void created;
  }
  await agent.createManagedSecretGrant('ms', { principal: agentPrincipal() });

  const page: GrantPage = await app.listGrants({ status: 'active', limit: 100 });
  const { total, hasMore }: { total: number; hasMore: boolean } = page;
  void total;
  void hasMore;
  for (const g of page.grants) {
    if (g.grantKind === 'oauth') {
      const scopes: string[] = g.scopes; // narrowed to OAuthGrantItem
      void scopes;
      // @ts-expect-error managedSecretId exists only on managed-secret grants
      void g.managedSecretId;
    } else if (g.grantKind === 'managed_secret') {
      const slug: string = g.managedSecretSlug;
      const created: Date = g.createdAt;
      void slug;
      void created;
    } else {
      const kind: string | null = g.rawGrantKind; // an unknown kind, kept
      void kind;
    }
  }
  // Exhaustive: a kind left out (the unknown one included) fails to compile.
  for (const g of page.grants) {
    switch (g.grantKind) {
      case 'managed_secret': {
        const id: string = g.managedSecretId;
        void id;
        break;
      }
      case 'oauth': {
        const provider: string = g.providerId;
        void provider;
        break;
      }
      case 'unknown': {
        const fields: Record<string, unknown> = g.fields;
        void fields;
        break;
      }
      default: {
        const never: never = g;
        void never;
      }
    }
  }
  for (const p of principals) {
    switch (p.type) {
      case 'user': {
        const token: string = p.userToken;
        void token;
        break;
      }
      case 'group': {
        const idp: string = p.idpId;
        void idp;
        break;
      }
      case 'system':
      case 'agent': {
        const label: string | null | undefined = p.label;
        void label;
        break;
      }
      default: {
        const never: never = p;
        void never;
      }
    }
  }
  for await (const g of app.iterGrants({ label: 'x' })) {
    const item: GrantItem = g;
    void item;
  }
  await app.revokeGrant('id', { reason: 'rotated' });

  try {
    await app.listGrants();
  } catch (err) {
    if (err instanceof SiblingLabelConflictError) {
      const l: string | null = err.label;
      void l;
    } else if (err instanceof CredentialIdRequiredError) {
      const ids: string[] = err.credentials.map((c) => c.credentialId);
      void ids;
    } else if (err instanceof RateLimitError) {
      const wait: number | null = err.retryAfter;
      void wait;
    } else if (err instanceof ApiError) {
      const fields: [number, string | null, string | null] = [err.status, err.code, err.requestId];
      void fields;
    }
  }
  const ok: boolean = isValidKey('alter_rk_…');
  void ok;

  // @ts-expect-error a number where a string belongs
  await app.createManagedSecretGrant(42, { principal: systemPrincipal() });
  // @ts-expect-error a user principal needs a userToken
  await app.createManagedSecretGrant('ms', { principal: { type: 'user', label: 'x' } });
  // @ts-expect-error an unknown principal type
  await app.createManagedSecretGrant('ms', { principal: { type: 'robot' } });
  // @ts-expect-error limit is a number
  await app.listGrants({ limit: '10' });
  // @ts-expect-error apiKey is required
  new App({ baseUrl: 'x' });
}
