"""A gRPC health check made by a client grpc-scale did not write: Python's grpcio (Debian python3-grpcio).

Usage: health_check.py HOST:PORT [SERVICE]. Prints the serving status name and exits 0, or prints the
gRPC error and exits 2. The messages are encoded by hand (grpc.health.v1 is two tiny messages), so only
grpcio itself is needed.
"""
import sys

import grpc

STATUSES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def encode_request(service):
    data = service.encode("utf-8")
    # field 1 (service), wire type 2 (length-delimited); names shorter than 128 bytes
    return (b"\x0a" + bytes([len(data)]) + data) if data else b""


def decode_status(response):
    # field 1 (status), wire type 0 (varint); absent means 0 (UNKNOWN)
    if len(response) >= 2 and response[0] == 0x08:
        return response[1]
    return 0


def main():
    target = sys.argv[1]
    service = sys.argv[2] if len(sys.argv) > 2 else ""
    with grpc.insecure_channel(target) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        try:
            response = check(encode_request(service), timeout=5)
        except grpc.RpcError as error:
            print("ERROR %s %s" % (error.code().name, error.details()))
            return 2
    print(STATUSES.get(decode_status(response), "UNKNOWN"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
