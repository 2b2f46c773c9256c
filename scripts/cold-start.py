#!/usr/bin/env python3
"""Cold start (SPEC 10): time from spawning a function's bootstrap until it asks the Lambda
Runtime API for its first event, which is when init is over. Every packaged function is
compared with a hello-world lambda_runtime binary built by the same cargo lambda command, in
the same run. Prints figures; asserts nothing.

    scripts/cold-start.py [RUNS]     (make coldstart; needs make package first)
"""
import http.server
import os
import socketserver
import statistics
import subprocess
import sys
import threading
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUNCTIONS = sorted(os.listdir(os.path.join(ROOT, "functions")))


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """Just enough of the Runtime API: note the first `next`, then keep the caller waiting."""

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            self.server.first_next.set()
            self.server.done.wait(5)
        self.send_response(204)
        self.end_headers()

    def do_POST(self):
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def init_time(binary, env):
    server = Server(("127.0.0.1", 0), RuntimeApi)
    server.first_next, server.done = threading.Event(), threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = server.first_next.wait(10)
    elapsed = time.perf_counter() - start
    server.done.set()
    proc.kill()
    proc.wait()
    server.shutdown()
    if not ok:
        raise SystemExit(f"{binary} never asked for an event (see its stderr)")
    return elapsed * 1000


def main():
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "1", "AWS_LAMBDA_LOG_GROUP_NAME": "bench", "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "CORPNUM_TABLE": "corpnum", "CORPNUM_REVIEW_QUEUE_URL": "http://127.0.0.1:9/000000000000/corpnum-review",
        "CORPNUM_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:corpnum-events",
        "CORPNUM_SUPPORT_PHONE": "8 800 555-35-35", "CORPNUM_SUPPORT_EMAIL": "support@corpnum.example",
        # The key inline: the Secrets Manager call made at init in AWS is network time, not ours.
        "CORPNUM_OTP_SECRET": "cold-start-benchmark-secret",
        **({"SSL_CERT_FILE": os.environ["SSL_CERT_FILE"]} if os.environ.get("SSL_CERT_FILE") else {}),
    }
    # As infra/template.yaml deploys them: the SDK's partition table cut to the aws
    # partition, from a layer. COLDSTART_SDK_PARTITIONS=builtin measures the SDK's own.
    if os.environ.get("COLDSTART_SDK_PARTITIONS") != "builtin":
        env["SMITHY_CLIENT_SDK_CUSTOM_PARTITION"] = os.path.join(ROOT, "infra/layers/sdk-partitions/partitions.json")
    hello = os.path.join(ROOT, "target/lambda/hello-lambda/bootstrap")
    binaries = [("hello-lambda (baseline)", hello)] + [
        (f, os.path.join(ROOT, "target/lambda", f, "bootstrap")) for f in FUNCTIONS
    ]
    for _, path in binaries:
        if not os.path.exists(path):
            raise SystemExit(f"missing {path}: run make package (make coldstart builds the baseline)")
    results = {}
    for _ in range(RUNS):  # interleaved, so machine noise hits every binary alike
        for name, path in binaries:
            results.setdefault(name, []).append(init_time(path, env))
    base = statistics.median(results[binaries[0][0]])
    print(f"init until the first /next, {RUNS} runs each (SPEC 10: within 1.5x the baseline)")
    print(f"{'binary':<26}{'median ms':>10}{'p90 ms':>9}{'x baseline':>12}")
    for name, _ in binaries:
        samples = sorted(results[name])
        p90 = samples[min(len(samples) - 1, int(0.9 * len(samples)))]
        median = statistics.median(samples)
        print(f"{name:<26}{median:>10.2f}{p90:>9.2f}{median / base:>12.2f}")


if __name__ == "__main__":
    main()
