"""pipedrive-python-lib (PyPI) against Poryadok: v1 everywhere, `api_token` in the query, PUT for
updates, start/limit paging. Usage: python python-client.py BASE_URL TOKEN PIPELINE_ID STAGE_A STAGE_B ADMIN_TOKEN"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from pipedrive.client import Client
from pipedrive import exceptions

base, token, pipeline, stage_a, stage_b, admin_token = sys.argv[1:7]
client = Client(domain=base)
client.set_api_token(token)
stamp = format(int(time.time() * 1000), "x")

# A local receiver for the webhook this library registers (v1 payloads, the library's default).
received = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
admin = Client(domain=base)
admin.set_api_token(admin_token)
hook = admin.webhooks.create_hook_subscription(f"http://127.0.0.1:{server.server_port}/hook", "updated", "deal")["data"]

me = client.users.get_me() if hasattr(client.users, "get_me") else client._get(client.BASE_URL + "users/me")
assert me["success"] is True
fields = client.deals.get_deal_fields()["data"]
budget = next(f for f in fields if f["name"] == "Client budget")
assert len(budget["key"]) == 40

org = client.organizations.create_organization({"name": f"Py Org {stamp}"})["data"]
person = client.persons.create_person(
    {"name": f"Py Person {stamp}", "org_id": org["id"], "phone": [{"value": "+7 902 555-02-02", "primary": True}], "email": [f"py-{stamp}@example.com"]}
)["data"]
assert person["org_id"]["value"] == org["id"]
deal = client.deals.create_deal(
    {"title": f"Py Deal {stamp}", "value": 99.9, "currency": "RUB", "person_id": person["id"], "org_id": org["id"],
     "pipeline_id": int(pipeline), "stage_id": int(stage_a), budget["key"]: 700, budget["key"] + "_currency": "RUB"}
)["data"]
assert deal["value"] == 99.9 and deal[budget["key"]] == 700
moved = client.deals.update_deal(deal["id"], {"stage_id": int(stage_b)})["data"]
assert moved["stage_id"] == int(stage_b)
for _ in range(100):
    if received:
        break
    time.sleep(0.1)
assert received and received[0]["event"] == "updated.deal", received
assert received[0]["current"]["stage_id"] == int(stage_b) and received[0]["previous"]["stage_id"] == int(stage_a)
admin.webhooks.delete_hook_subscription(hook["id"])
server.shutdown()
act = client.activities.create_activity({"subject": "Meet", "type": "meeting", "deal_id": deal["id"], "due_date": "2026-12-21", "due_time": "09:00"})["data"]
assert act["deal_id"] == deal["id"]
note = client.notes.create_note({"content": "From Python", "deal_id": deal["id"]})["data"]
assert note["deal_id"] == deal["id"]

seen, start = 0, 0
while True:
    page = client.organizations.get_all_organizations(params={"start": start, "limit": 2})
    seen += len(page["data"] or [])
    pagination = page["additional_data"]["pagination"]
    if not pagination["more_items_in_collection"]:
        break
    start = pagination["next_start"]
assert seen >= 1

found = client.persons.search_persons(params={"term": "9025550202"})["data"]["items"]
assert found[0]["item"]["id"] == person["id"]
found = client.deals.search_deals(params={"term": f"Py Deal {stamp}"})["data"]["items"]
assert found[0]["item"]["id"] == deal["id"]

client.deals.delete_deal(deal["id"])
try:
    client.deals.get_deal(deal["id"])
    raise AssertionError("a deleted deal is still readable")
except exceptions.NotFoundError:
    pass
print("python client: ok")
