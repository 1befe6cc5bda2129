package dev.grpcscale.autoconfigure.cluster;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The address this node announces to the cluster when {@code grpc.scale.cluster.address} is unset: the
 * {@code host:port} clients dial this application's gRPC server on, known once that server has started on
 * a network port; {@code ""} until then, and for good when no such server starts. Set once, like the
 * registration with discovery.
 */
final class GrpcServerAddress implements Supplier<String> {

	private final AtomicReference<String> address = new AtomicReference<>("");

	@Override
	public String get() {
		return this.address.get();
	}

	/**
	 * Records the address of a server that has started; the first one counts.
	 * @param address the server's {@code host:port}
	 */
	void serverStarted(String address) {
		this.address.compareAndSet("", address);
	}

}
