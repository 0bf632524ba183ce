// Roles and announcements (issue 13): a member allowed to message roles
// picks "Role: member" (with its member count when the type gives one) in the new-conversation form, ticks
// Announcement, and sends; a member of the role sees the banner "replies
// go to … privately", and their reply lands in their direct conversation
// with the sender, which opens; a role over role_expand_threshold shows
// "Adding members…" until its expansion is done.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, user, send, waitMessage, settings, axe, shot } from './lib.mjs';
import { signedIn, openThread } from './suite.mjs';

const root = process.env.SUPERUSER_TOKEN;
let hal, ivy, jon;
let before = null;

function setRoles(u, roles) {
  return call('PATCH', `/api/collections/users/records/${u.id}`, root, { roles });
}

after(async () => {
  if (before) await settings({ role_message_roles: before.role_message_roles, role_expand_threshold: before.role_expand_threshold });
});

test('an announcement to a role: the chip, the banner, a reply that goes to the sender privately', async (t) => {
  if (!root) return t.skip('needs SUPERUSER_TOKEN');
  before = await call('GET', '/api/collections/messaging_settings/records/messagingconfig', root);
  await settings({ role_message_roles: ['admin'] });
  [hal, ivy, jon] = await Promise.all([user('hal', 'Hal Herald'), user('ivy', 'Ivy Ingram'), user('jon', 'Jon Juniper')]);
  await Promise.all([setRoles(hal, ['admin']), setRoles(ivy, ['member']), setRoles(jon, ['member'])]);

  const h = await signedIn(hal);
  await h.getByRole('link', { name: 'New conversation' }).click();
  await h.getByLabel('To').fill('member');
  const option = h.getByRole('option', { name: /^Role: member( · [\d,]+ members?)?$/ });
  await option.waitFor();
  assert.equal(await h.getByLabel('Announcement').count(), 0, 'no Announcement box before a role is picked');
  await option.click();
  await h.locator('.chip', { hasText: /^Role: member/ }).waitFor();
  await h.getByLabel('Announcement').check();
  await h.getByLabel('Subject (optional)').fill('Town hall');
  await h.getByLabel('Message', { exact: true }).fill('Doors open at six');
  const req = h.waitForRequest((r) => r.url().endsWith('/api/messaging/threads') && r.method() === 'POST');
  await h.getByRole('button', { name: 'Send', exact: true }).click();
  const sent = JSON.parse((await req).postData());
  assert.deepEqual(sent.roles, ['member']);
  assert.equal(sent.announcement, true);
  assert.deepEqual(sent.recipients, []);
  await h.locator('#thread-title', { hasText: 'Town hall' }).waitFor();
  await h.getByTestId('announcement-banner').getByText("Announcement — members' replies come to you privately").waitFor();
  const town = h.url().split('/t/')[1];

  const i = await signedIn(ivy);
  await openThread(i, town, 'Town hall');
  await i.getByTestId('announcement-banner').getByText('Announcement — replies go to Hal Herald privately').waitFor();
  assert.deepEqual(await axe(i), [], 'axe: no serious or critical findings on an announcement');
  await shot(i, 'announcement');
  await send(i, 'Count me in');
  // The reply went to Hal privately, and that conversation opens.
  await i.waitForURL((u) => /\/t\/[a-z0-9]{15}$/.test(u.pathname) && !u.pathname.endsWith(town));
  await i.locator('#thread-title', { hasText: 'Hal Herald' }).waitFor();
  await waitMessage(i, 'Count me in');
  const inTown = await call('GET', `/api/messaging/threads/${town}/messages`, ivy.token);
  assert.ok(!inTown.items.some((m) => m.body === 'Count me in'), 'not in the announcement');
  // Hal gets it live, in the direct conversation.
  await h.locator('.thread', { hasText: 'Count me in' }).waitFor();
  await h.close();
  await i.close();
});

test('a role over the expansion threshold: "Adding members…" until it is done', async (t) => {
  if (!root) return t.skip('needs SUPERUSER_TOKEN');
  await settings({ role_expand_threshold: 1 });
  const h = await signedIn(hal);
  await h.getByRole('link', { name: 'New conversation' }).click();
  await h.getByLabel('To').fill('member');
  await h.getByRole('option', { name: /^Role: member/ }).click();
  await h.getByLabel('Subject (optional)').fill('Big news');
  await h.getByLabel('Message', { exact: true }).fill('Expanding in the background');
  const res = h.waitForResponse((r) => r.url().endsWith('/api/messaging/threads') && r.request().method() === 'POST');
  await h.getByRole('button', { name: 'Send', exact: true }).click();
  const started = await (await res).json();
  await h.locator('#thread-title', { hasText: 'Big news' }).waitFor();
  const status = h.getByTestId('expanding');
  const seen = await status.count();
  console.log(`expansion: started with expanding=${started.thread.expanding}, "Adding members…" shown on open: ${seen > 0}`);
  // Whether or not the job was already done when the thread opened, the
  // status goes once the view says expanding is false (live, no reload).
  await status.waitFor({ state: 'detached', timeout: 15000 });
  const view = await call('GET', `/api/messaging/threads/${started.thread.id}`, hal.token);
  assert.equal(!!view.expanding, false);
  assert.ok(view.memberCount >= 3, `hal, ivy and jon at least: ${view.memberCount}`);
  await h.close();
});
