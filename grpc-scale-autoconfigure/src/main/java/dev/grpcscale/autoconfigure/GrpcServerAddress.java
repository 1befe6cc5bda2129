package dev.grpcscale.autoconfigure;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The address this node announces to the cluster when {@code grpc.scale.cluster.address} is unset: the
 * {@code host:port} clients dial this application's gRPC server on, known once that server has started on
 * a network port; {@code ""} until then, and for good when no such server starts. A server that starts
 * again (after the context was stopped) may have another port: the node announces the new address when it
 * joins again.
 */
public final class GrpcServerAddress implements Supplier<String> {

	private final AtomicReference<String> address = new AtomicReference<>("");

	/** An address not known yet. */
	public GrpcServerAddress() {
	}

	@Override
	public String get() {
		return this.address.get();
	}

	/**
	 * Records the address of a server that has started.
	 * @param address the server's {@code host:port}
	 */
	void serverStarted(String address) {
		this.address.set(address);
	}

}
