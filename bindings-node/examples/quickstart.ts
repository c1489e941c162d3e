// grantline quickstart (TypeScript): issue grants on a managed secret to a user, a group, the
// system and an agent, list them, revoke one; mint a sibling grant; delegate the agent's grant to
// a second agent, which lists it and then loses it. Run it with `bash scripts/demo.sh` (or
// `make demo`) against a local `grantline-server dev`: its `--format env` output sets the ALTER_*
// variables used below (`make demo` does that for you).
import {
  Agent,
  App,
  SiblingLabelConflictError,
  groupPrincipal,
  systemPrincipal,
  userPrincipal,
  agentPrincipal,
} from 'grantline';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (scripts/demo.sh does)`);
  return value;
}

async function main(): Promise<void> {
  const app = new App({ apiKey: env('ALTER_APP_KEY'), baseUrl: env('ALTER_BASE_URL') });
  const secret = env('ALTER_MANAGED_SECRET_ID');
  const run = Date.now().toString(36);
  console.log('client:', app); // the key is never shown

  const issued = [];
  issued.push(
    await app.createManagedSecretGrant(secret, {
      principal: userPrincipal(env('ALTER_USER_TOKEN'), `alice-laptop-${run}`),
      grantPolicy: { maxTtlSeconds: 3600, defaultTtlSeconds: 900 },
    }),
  );
  issued.push(
    await app.createManagedSecretGrant(secret, {
      principal: groupPrincipal(env('ALTER_GROUP_ID'), env('ALTER_IDP_ID'), `eng-${run}`),
    }),
  );
  issued.push(
    await app.createManagedSecretGrant(secret, {
      principal: systemPrincipal(`nightly-sync-${run}`),
      grantPolicy: { expiresAt: new Date(Date.now() + 24 * 3600 * 1000) },
    }),
  );
  // An agent issues a grant for itself, here through the app's key.
  const agent = app.getAgent(env('ALTER_AGENT_ID'));
  issued.push(
    await agent.createManagedSecretGrant(secret, { principal: agentPrincipal(`agent-${run}`) }),
  );
  // The agent uses its grant: the credential is leased, injected, and the call recorded.
  const own = issued[issued.length - 1]!;
  const resp = await agent.request('GET', `${env('ALTER_PROVIDER_URL')}/v1/whoami`, {
    grantId: own.grantId,
    reason: 'quickstart',
  });
  console.log(`the agent called the demo provider: ${resp.status} ${((await resp.json()) as { path: string }).path}`);
  for (const g of issued) {
    console.log(`issued  ${g.principalType.padEnd(6)} ${g.grantId} label=${g.label ?? '-'} created=${g.createdAt.toISOString()}`);
  }

  try {
    await app.createManagedSecretGrant(secret, { principal: systemPrincipal(`nightly-sync-${run}`) });
  } catch (err) {
    if (err instanceof SiblingLabelConflictError) {
      console.log(`refused a second grant with the same label: ${err.name} (HTTP ${err.status}, ${err.code})`);
    } else {
      throw err;
    }
  }

  const page = await app.listGrants({ status: 'active', limit: 10 });
  console.log(`listed ${page.grants.length} of ${page.total} active grants (hasMore=${page.hasMore}):`);
  for (const g of page.grants) {
    if (g.grantKind === 'managed_secret') {
      console.log(`  managed_secret ${g.grantId} ${g.principalType.padEnd(6)} ${g.managedSecretSlug} label=${g.label ?? '-'}`);
    } else if (g.grantKind === 'oauth') {
      console.log(`  oauth          ${g.grantId} ${g.providerId} scopes=${g.scopes.join(',')}`);
    } else {
      console.log(`  (unknown kind ${g.rawGrantKind})`);
    }
  }

  let all = 0;
  for await (const g of app.iterGrants({ limit: 2 })) {
    if (g.grantKind !== 'unknown') all += 1;
  }
  console.log(`iterGrants walked ${all} grants page by page`);

  const revoked = await app.revokeGrant(issued[2]!.grantId, { reason: 'quickstart cleanup' });
  console.log(`revoked ${revoked.grantId} at ${revoked.revokedAt.toISOString()}: ${revoked.message}`);

  // A sibling of the user's grant: the same credential and user, its own label and policy.
  const sibling = await app.mintGrant(issued[0]!.grantId, { label: `alice-ci-${run}`, grantPolicy: { maxTtlSeconds: 600 } });
  console.log(`minted sibling ${sibling.grantId} label=${sibling.label} credential=${sibling.credentialId}`);

  // The agent hands its grant (`own`, above) to a second agent, which lists it, then loses it.
  const first = new Agent({ apiKey: env('ALTER_AGENT_KEY'), baseUrl: env('ALTER_BASE_URL') });
  const second = new Agent({ apiKey: env('ALTER_AGENT2_KEY'), baseUrl: env('ALTER_BASE_URL') });
  const delegation = await first.delegate(own.grantId, env('ALTER_AGENT2_ID'), { ttlSeconds: 600 });
  console.log(`delegated ${own.grantId} to the second agent: ${delegation.grantId} (depth ${delegation.depth})`);
  const held = async () => (await second.listGrants()).grants.find((g) => g.grantId === delegation.grantId);
  const item = await held();
  if (item?.grantKind === 'managed_secret') {
    console.log(`  the second agent lists it: ${item.accessVia}, parent ${item.parentGrantId}, ${item.status}`);
  }
  await app.revokeDelegation(own.grantId, env('ALTER_AGENT2_ID'));
  console.log(`  after the app revoked the delegation: ${(await held())?.status}`);

  // close() resolves once the audit record of the agent's request() above is written.
  await Promise.all([agent.close(), app.close(), first.close(), second.close()]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
