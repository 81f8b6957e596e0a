#!/usr/bin/env python3
"""An external LLMAgentOS agent in Python: a greenhouse vent controller.

It speaks the MQTT agent protocol (docs/agent-protocol.md): registers, heartbeats, receives the
readings the gateway lets it read, and asks the gateway to actuate. Every request goes through the
gateway's checks (grant, rate limit, envelope, audit); the agent only prints the replies.

Policy: open the vent when the temperature goes above --open-above, close it below
--open-above minus --hysteresis; optionally switch a heater on below --heat-below.

Tasks: it bids on --task-type ("ventilate") with a utility that grows with the temperature above
the closing point, confirms awards, runs the task (opens the vent with an idempotency key, so a
retried run is replayed by the gateway instead of actuating twice), shares a fact and reports.

Needs paho-mqtt (Debian: apt install python3-paho-mqtt); runs on paho 1.6 and 2.x.
Every option can also come from the environment (see --help). Prints one JSON object per line.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

try:
    import paho.mqtt.client as mqtt
except ImportError:
    sys.stderr.write("paho-mqtt is missing: install python3-paho-mqtt (Debian) or `pip install paho-mqtt`\n")
    sys.exit(3)

PROTOCOL = 1
VERSION = "1.0.0"


def emit(event, **fields):
    """One JSON line per event on stdout, for people and for tests."""
    print(json.dumps({"event": event, **fields}), flush=True)


def parse_args(argv):
    env = os.environ.get
    p = argparse.ArgumentParser(description="Greenhouse vent agent for LLMAgentOS (MQTT agent protocol 1)")
    p.add_argument("--host", default=env("LOS_MQTT_HOST", "127.0.0.1"), help="gateway broker host (env LOS_MQTT_HOST)")
    p.add_argument("--port", type=int, default=int(env("LOS_MQTT_PORT", "1883")), help="broker port (env LOS_MQTT_PORT)")
    p.add_argument("--site", default=env("LOS_SITE"), help="site id of the gateway (env LOS_SITE)")
    p.add_argument("--gateway", default=env("LOS_GATEWAY"), help="gateway id (env LOS_GATEWAY)")
    p.add_argument("--agent", default=env("LOS_AGENT_ID"), help="this agent's id = its MQTT user name (env LOS_AGENT_ID)")
    p.add_argument("--password", default=env("LOS_AGENT_PASSWORD"), help="MQTT password (env LOS_AGENT_PASSWORD)")
    p.add_argument("--password-file", default=env("LOS_AGENT_PASSWORD_FILE"), help="file with the MQTT password (env LOS_AGENT_PASSWORD_FILE)")
    p.add_argument("--temperature", default=env("LOS_TEMPERATURE_POINT", "gh1/temperature"), help="measured point")
    p.add_argument("--vent", default=env("LOS_VENT_POINT", "gh1/vent"), help="vent actuator (bool, true = open)")
    p.add_argument("--open-above", type=float, default=float(env("LOS_OPEN_ABOVE", "28")), help="open the vent above this temperature")
    p.add_argument("--hysteresis", type=float, default=float(env("LOS_HYSTERESIS", "1")), help="close it this much below --open-above")
    p.add_argument("--heater", default=env("LOS_HEATER_POINT"), help="optional heater actuator (bool)")
    p.add_argument("--heat-below", type=float, default=float(env("LOS_HEAT_BELOW", "12")), help="heater on below this temperature")
    p.add_argument("--task-type", default=env("LOS_TASK_TYPE", "ventilate"), help="the task type it bids on (env LOS_TASK_TYPE)")
    a = p.parse_args(argv)
    for name in ("site", "gateway", "agent"):
        if not getattr(a, name):
            p.error(f"--{name} is required (or set its environment variable)")
    if a.password_file:
        with open(a.password_file, encoding="utf-8") as f:
            a.password = f.read().strip()
    if not a.password:
        p.error("a password is required: --password, --password-file or LOS_AGENT_PASSWORD(_FILE)")
    return a


def make_client(client_id):
    # paho 2.x wants the callback API version; 1.x has no such argument
    if hasattr(mqtt, "CallbackAPIVersion"):
        return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    return mqtt.Client(client_id=client_id, clean_session=True)


class VentAgent:
    def __init__(self, args):
        self.args = args
        self.base = f"los/v1/{args.site}/{args.gateway}/agents/{args.agent}"
        self.heartbeat_ms = 500
        self.registered = threading.Event()
        self.done = threading.Event()
        self.exit_code = 0
        self.stop_sent = False
        self.next_id = 0
        self.wanted = {}  # point -> last value asked for
        self.temperature = None
        self.waiting = {}  # correlationId -> [threading.Event, reply]
        self.lock = threading.Lock()
        self.client = make_client(f"{args.agent}-py-{os.getpid()}")
        self.client.username_pw_set(args.agent, args.password)
        self.client.will_set(f"{self.base}/gone", json.dumps({"message": "connection lost"}), qos=0, retain=False)
        self.client.on_connect = self.on_connect
        self.client.on_message = self.on_message
        self.client.on_disconnect = self.on_disconnect

    # --- protocol -------------------------------------------------------------------------------

    def send(self, kind, body, qos=0):
        self.client.publish(f"{self.base}/{kind}", json.dumps(body), qos=qos)

    def register(self):
        self.send("register", {"protocol": PROTOCOL, "language": "python", "version": VERSION, "pid": os.getpid(),
                               "skills": [self.args.task_type]}, qos=1)

    def new_cid(self):
        with self.lock:
            self.next_id += 1
            return f"py-{os.getpid()}-{self.next_id}"

    def request(self, kind, body, timeout=10):
        """Publish a request (actuate, coordinate) and wait for its reply on in/replies."""
        cid = self.new_cid()
        slot = [threading.Event(), None]
        self.waiting[cid] = slot
        self.send(kind, {"correlationId": cid, **body}, qos=1)
        if not slot[0].wait(timeout):
            self.waiting.pop(cid, None)
            return {"ok": False, "error": {"code": "LOS_E_TIMEOUT", "message": f"no reply to {kind} within {timeout} s"}}
        return slot[1]

    def on_connect(self, client, userdata, flags, rc, properties=None):
        if rc != 0:
            emit("error", message=f"the broker refused the connection: {rc}")
            self.finish(1)
            return
        client.subscribe(f"{self.base}/in/#", qos=1)
        self.register()

    def on_disconnect(self, client, userdata, *rest):
        if not self.done.is_set():
            emit("disconnected")

    def on_message(self, client, userdata, msg):
        kind = msg.topic[len(self.base) + 4:] if msg.topic.startswith(f"{self.base}/in/") else None
        try:
            body = json.loads(msg.payload.decode("utf-8"))
        except ValueError:
            emit("error", message=f"not JSON on {msg.topic}")
            return
        if kind == "registered":
            if not body.get("ok"):
                emit("refused", error=body.get("error"))
                self.finish(1)
                return
            self.heartbeat_ms = body["data"]["heartbeatMs"]
            emit("registered", capabilities=body["data"]["capabilities"], heartbeatMs=self.heartbeat_ms)
            self.registered.set()
        elif kind == "readings":
            for r in body.get("readings", []):
                self.on_reading(r)
        elif kind == "replies":
            emit("reply", correlationId=body.get("correlationId"), ok=body.get("ok"),
                 data=body.get("data"), error=body.get("error"))
            slot = self.waiting.pop(body.get("correlationId"), None)
            if slot:
                slot[1] = body
                slot[0].set()
        elif kind == "cfp":
            self.on_cfp(body["cfp"])
        elif kind == "award":
            self.on_award(body["award"])
        elif kind == "tasks":
            # run outside the MQTT thread: the task waits for replies that this thread delivers
            threading.Thread(target=self.run_task, args=(body,), daemon=True).start()
        elif kind == "cancel":
            emit("cancel", taskId=body.get("taskId"), attempt=body.get("attempt"), reason=body.get("reason"))
        elif kind == "stop":
            emit("stopping", graceMs=body.get("graceMs"))
            self.stop_sent = True
            self.send("stopped", {}, qos=1)
            self.finish(0)
        elif kind == "reregister":
            self.register()

    def actuate(self, point, value, reason):
        if self.wanted.get(point) == value:
            return
        self.wanted[point] = value
        cid = self.new_cid()
        emit("actuate", correlationId=cid, point=point, value=value, reason=reason)
        self.send("actuate", {"correlationId": cid, "point": point, "value": value, "reason": reason}, qos=1)

    # --- policy ---------------------------------------------------------------------------------

    def on_reading(self, r):
        a = self.args
        if r.get("point") != a.temperature or r.get("quality") != "good" or not isinstance(r.get("value"), (int, float)):
            return
        t = r["value"]
        self.temperature = t
        emit("reading", point=a.temperature, value=t)
        if t > a.open_above:
            self.actuate(a.vent, True, f"temperature {t} above {a.open_above}")
        elif t < a.open_above - a.hysteresis:
            self.actuate(a.vent, False, f"temperature {t} below {a.open_above - a.hysteresis}")
        if a.heater:
            self.actuate(a.heater, t < a.heat_below, f"temperature {t} vs heat below {a.heat_below}")

    # --- tasks ----------------------------------------------------------------------------------

    def on_cfp(self, cfp):
        """Bid the temperature above the closing point as utility; decline when cool or not our type."""
        a = self.args
        t = self.temperature
        bid = {"taskId": cfp["taskId"], "round": cfp["round"]}
        if cfp["type"] != a.task_type or t is None or t <= a.open_above - a.hysteresis:
            bid["decline"] = True
        else:
            utility = round(t - (a.open_above - a.hysteresis), 3)
            bid.update(value=utility if cfp.get("objective") != "min" else -utility, note=f"temperature {t}")
        emit("bid", **bid)
        self.send("bid", bid, qos=1)

    def on_award(self, award):
        accept = award["type"] == self.args.task_type
        reply = {"taskId": award["taskId"], "attempt": award["attempt"], "accept": accept}
        if not accept:
            reply["reason"] = f"this agent runs {self.args.task_type} tasks only"
        emit("award", taskId=award["taskId"], attempt=award["attempt"], accept=accept)
        self.send("award-reply", reply, qos=1)

    def run_task(self, run):
        """Open the vent (same key on every attempt: a retry is replayed, not repeated), share it, report."""
        vent = self.args.vent
        emit("run", taskId=run["taskId"], attempt=run["attempt"], params=run.get("params"))
        self.wanted[vent] = True
        r = self.request("actuate", {"point": vent, "value": True, "reason": f"task {run['taskId']}",
                                     "idempotencyKey": f"task:{run['taskId']}:{vent}:1"})
        report = {"taskId": run["taskId"], "attempt": run["attempt"], "ok": bool(r.get("ok"))}
        if r.get("ok"):
            self.request("coordinate", {"request": {"op": "fact.put", "key": f"{vent}/ventilating", "scope": "tenant",
                                                    "value": {"by": self.args.agent, "task": run["taskId"]}, "ttlMs": 60000}})
            report["result"] = {"auditId": r["data"]["auditId"], "replayed": r["data"].get("replayed", False)}
        else:
            report["error"] = {"code": r["error"]["code"], "message": r["error"]["message"]}
        emit("task-done", **report)
        self.send("task", report, qos=1)

    # --- life -----------------------------------------------------------------------------------

    def heartbeats(self):
        while not self.done.is_set():
            if self.registered.is_set():
                self.send("heartbeat", {"usage": {"cpuMs": time.process_time() * 1000}})
            self.done.wait(self.heartbeat_ms / 1000)

    def finish(self, code):
        self.exit_code = code
        self.done.set()

    def run(self):
        signal.signal(signal.SIGTERM, lambda *_: self.finish(0))
        signal.signal(signal.SIGINT, lambda *_: self.finish(0))
        try:
            self.client.connect(self.args.host, self.args.port, keepalive=30)
        except OSError as e:
            emit("error", message=f"cannot reach {self.args.host}:{self.args.port}: {e}")
            return 1
        self.client.loop_start()
        beat = threading.Thread(target=self.heartbeats, daemon=True)
        beat.start()
        while not self.done.wait(0.2):
            pass
        if self.exit_code == 0 and self.registered.is_set() and not self.stop_sent:
            # leaving on our own (SIGTERM): say so, so the gateway counts a clean end, not a crash
            self.client.publish(f"{self.base}/stopped", "{}", qos=1).wait_for_publish(2)
        # a clean DISCONNECT: no last will
        self.client.disconnect()
        self.client.loop_stop()
        emit("exit", code=self.exit_code)
        return self.exit_code


if __name__ == "__main__":
    sys.exit(VentAgent(parse_args(sys.argv[1:])).run())
