// A conversation of 10,000 messages (BIG_THREAD, seeded by the Go test)
// opens at its newest page quickly and pages back on scrolling up.
// Shares the browser and members of suite.mjs; started by the Go test
// inbox_browser_test.go with the other inbox files (see suite.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INBOX, traceApi } from './lib.mjs';
import { pageFor } from './suite.mjs';

test('a 10,000-message thread opens at its newest page quickly', async (t) => {
  const id = process.env.BIG_THREAD;
  if (!id) return t.skip('no BIG_THREAD seeded');
  const big = { email: process.env.BIG_USER, username: 'big' };
  const page = await pageFor(big, { fresh: true });
  await page.goto(INBOX);
  await page.getByLabel('Email or username').fill(big.email);
  await page.getByLabel('Password').fill(process.env.BIG_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.inbox').waitFor();
  const t0 = Date.now();
  const dump = traceApi(page);
  await page.goto(INBOX + 't/' + id);
  await page
    .locator('.bubble')
    .first()
    .waitFor()
    .catch(async (err) => {
      await dump();
      throw err;
    });
  const reload = Date.now() - t0;
  await page.getByRole('link', { name: 'Messages' }).first().click();
  const t1 = Date.now();
  await page.locator(`.thread[data-thread="${id}"] a`).click();
  await page.locator('.bubble').first().waitFor();
  const click = Date.now() - t1;
  // Scrolling up loads older pages without moving what is on screen.
  const box = page.locator('.messages');
  const before = await box.evaluate((el) => el.querySelector('.bubble').dataset.seq);
  await box.evaluate((el) => (el.scrollTop = 0));
  await page.waitForFunction((seq) => {
    const el = document.querySelector('.messages');
    const first = el.querySelector('.bubble').dataset.seq;
    return first !== seq && el.scrollTop > 0;
  }, before);
  console.log(`10,000-message thread: open by URL (page load) ${reload} ms, from the inbox ${click} ms`);
  assert.ok(click < 3000);
  await page.close();
});
