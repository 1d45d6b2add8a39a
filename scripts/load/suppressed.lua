-- make_call for a suppressed number: every request is refused (403) at step 7.
wrk.method = "POST"
wrk.path = "/api/v1/schedules/make_call"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic cGtfbG9hZDpza19sb2FkXzNjOWUxZg=="
wrk.body = '{"schedule_id": "load", "to": "+13035550100"}'
