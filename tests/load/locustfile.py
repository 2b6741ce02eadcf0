"""A bounded load over the main pages, run by `make loadtest` (tests/load/run.sh).

Each simulated user logs in once as staff or finance and then reads the pages people
open every week. At the end it prints requests per second, the 95th percentile and the
error count, and exits non-zero on any error.
"""

import os
import random
import re

from locust import HttpUser, between, events, task

PASSWORD = os.environ["LOAD_PASSWORD"]
YEAR = os.environ.get("LOAD_YEAR", "2020")
TOWNSHIP = os.environ.get("LOAD_TOWNSHIP", "511781100")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/accounts/login/", name="login",
            data={"username": random.choice(["staff", "finance"]), "password": PASSWORD,
                  "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"}, allow_redirects=False)
        if response.status_code != 302:
            response.failure(f"login answered {response.status_code}")

    @task(4)
    def overview(self):
        self.client.get(f"/?year={YEAR}", name="/ (overview)")

    @task(4)
    def allocations(self):
        self.client.get(f"/allocations/{YEAR}/", name="/allocations/<year>/")

    @task(2)
    def allocations_filtered(self):
        self.client.get(f"/allocations/{YEAR}/?category=1&sort=rank",
                        name="/allocations/<year>/?filter")

    @task(2)
    def execution(self):
        self.client.get(f"/execution/{YEAR}/", name="/execution/<year>/")

    @task(2)
    def ledger(self):
        self.client.get(f"/ledger/{TOWNSHIP}/{YEAR}/", name="/ledger/<code>/<year>/")

    @task(1)
    def townships(self):
        self.client.get("/townships/", name="/townships/")

    @task(1)
    def ranking(self):
        self.client.get(f"/rankings/{YEAR}/", name="/rankings/<year>/")

    @task(1)
    def export_csv(self):
        self.client.get(f"/allocations/{YEAR}/export.csv", name="/allocations/<year>/export.csv")


@events.quitting.add_listener
def summary(environment, **kwargs):
    total = environment.stats.total
    print(f"\nLOAD RESULT: {total.num_requests} requests, "
          f"{total.total_rps:.1f} requests/s, p95 {total.get_response_time_percentile(0.95):.0f} ms, "
          f"p50 {total.get_response_time_percentile(0.5):.0f} ms, "
          f"{total.num_failures} errors")
    environment.process_exit_code = 1 if total.num_failures else 0
