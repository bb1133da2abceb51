// Pipedrive's official Node client (npm `pipedrive`, v33) against Poryadok: only the base paths
// and the token change. Usage: node node-client.mjs BASE_URL TOKEN PIPELINE_ID STAGE_A STAGE_B ADMIN_TOKEN
import * as v2 from 'pipedrive/v2';
import * as v1 from 'pipedrive/v1';
import assert from 'node:assert/strict';
import http from 'node:http';

const [base, token, pipeline, stageA, stageB, adminToken] = process.argv.slice(2);

// A local receiver for the webhooks, in both payload versions.
const received = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => { received.push({ path: req.url, auth: req.headers.authorization, body: JSON.parse(body) }); res.end('ok'); });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}`;
const webhooks = new v1.WebhooksApi(new v1.Configuration({ apiKey: adminToken, basePath: `${base}/v1` }));
const hooks = [];
for (const version of ['1.0', '2.0']) {
  const h = await webhooks.addWebhook({ AddWebhookRequest: { subscription_url: `${hookUrl}/v${version[0]}`, event_action: 'updated',
    event_object: 'deal', version, http_auth_user: 'node', http_auth_password: 'pw' } });
  assert.equal(h.success, true);
  hooks.push(h.data.id);
}
const c2 = new v2.Configuration({ apiKey: token, basePath: `${base}/api/v2` });
const c1 = new v1.Configuration({ apiKey: token, basePath: `${base}/v1` });
const orgs = new v2.OrganizationsApi(c2);
const persons = new v2.PersonsApi(c2);
const deals = new v2.DealsApi(c2);
const activities = new v2.ActivitiesApi(c2);
const search = new v2.ItemSearchApi(c2);
const notes = new v1.NotesApi(c1);
const users = new v1.UsersApi(c1);
const dealFields = new v1.DealFieldsApi(c1);
const stamp = Date.now().toString(36);

const me = await users.getCurrentUser();
assert.equal(me.success, true);
const fields = await dealFields.getDealFields();
const budget = fields.data.find((f) => f.name === 'Client budget');
assert.ok(budget && budget.key.length === 40, 'the custom field under a 40-character key');

const org = (await orgs.addOrganization({ AddOrganizationRequest: { name: `Node Org ${stamp}` } })).data;
const person = (await persons.addPerson({ AddPersonRequest: {
  name: `Node Person ${stamp}`, org_id: org.id,
  phones: [{ value: '+7 901 555-01-01', primary: true, label: 'work' }, { value: '8 901 555-01-02', primary: false, label: 'mobile' }],
  emails: [{ value: `node-${stamp}@example.com`, primary: true, label: 'work' }],
} })).data;
assert.equal(person.org_id, org.id);
assert.deepEqual(person.phones.map((p) => [p.value, p.primary]), [['+79015550101', true], ['+79015550102', false]]);
const deal = (await deals.addDeal({ AddDealRequest: {
  title: `Node Deal ${stamp}`, value: 1234.5, currency: 'RUB', person_id: person.id, org_id: org.id,
  pipeline_id: Number(pipeline), stage_id: Number(stageA), custom_fields: { [budget.key]: { value: 5000, currency: 'RUB' } },
} })).data;
assert.equal(deal.value, 1234.5);
assert.equal(deal.custom_fields[budget.key].value, 5000);
const moved = (await deals.updateDeal({ id: deal.id, UpdateDealRequest: { stage_id: Number(stageB) } })).data;
assert.equal(moved.stage_id, Number(stageB));
// The move reaches both webhooks, each in its version's shape, with the basic auth.
for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
const v1Body = received.find((r) => r.path === '/v1')?.body;
const v2Body = received.find((r) => r.path === '/v2')?.body;
assert.ok(v1Body && v2Body, `both deliveries arrived: ${JSON.stringify(received)}`);
assert.equal(received[0].auth, `Basic ${Buffer.from('node:pw').toString('base64')}`);
assert.equal(v1Body.event, 'updated.deal');
assert.equal(v1Body.current.stage_id, Number(stageB));
assert.equal(v1Body.previous.stage_id, Number(stageA));
assert.equal(v2Body.meta.action, 'change');
assert.equal(v2Body.data.id, deal.id);
assert.equal(v2Body.previous.stage_id, Number(stageA));
for (const id of hooks) await webhooks.deleteWebhook({ id });
receiver.close();
const act = (await activities.addActivity({ AddActivityRequest: { subject: 'Call back', type: 'call', deal_id: deal.id, due_date: '2026-12-20', due_time: '11:00' } })).data;
assert.equal(act.deal_id, deal.id);
const note = await notes.addNote({ AddNoteRequest: { content: 'From the Node client', deal_id: deal.id } });
assert.equal(note.data.deal_id, deal.id);

// Every organization, a page of two at a time, until the end.
let cursor; let count = 0;
do {
  const page = await orgs.getOrganizations({ limit: 2, cursor });
  count += page.data.length;
  cursor = page.additional_data?.next_cursor ?? undefined;
} while (cursor);
assert.ok(count >= 1);

const byPhone = await persons.searchPersons({ term: '9015550101' });
assert.equal(byPhone.data.items[0].item.id, person.id);
// The mobile number finds the person too: every phone is an identity.
const byMobile = await persons.searchPersons({ term: '+7 901 555-01-02' });
assert.equal(byMobile.data.items[0].item.id, person.id);
const byName = await search.searchItem({ term: `Node Deal ${stamp}`, item_types: 'deal' });
assert.equal(byName.data.items[0].item.id, deal.id);

await deals.deleteDeal({ id: deal.id });
// The client rejects with Pipedrive's error body.
await assert.rejects(deals.getDeal({ id: deal.id }), (e) => e.success === false && e.code === 'not_found');
console.log('node client: ok');
