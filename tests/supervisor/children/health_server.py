"""Test child: a real grpc server with grpc.health.v1, serving on port argv[1].

Reports NOT_SERVING for argv[2] seconds (forever when "never"), then SERVING.
"""

import sys
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

port, delay = int(sys.argv[1]), sys.argv[2]
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
servicer = health.HealthServicer()
health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
server.add_insecure_port(f"127.0.0.1:{port}")
server.start()
print(f"grpc health server on {port}, NOT_SERVING", flush=True)
if delay != "never":
    def flip() -> None:
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        print("now SERVING", flush=True)
    threading.Timer(float(delay), flip).start()
server.wait_for_termination()
