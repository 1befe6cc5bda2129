package dev.grpcscale.autoconfigure;

import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;

import dev.grpcscale.EnhancedServiceManager;

/**
 * Runs {@link EnhancedServiceManager#gracefulShutdown()} when the context starts closing, before any
 * lifecycle bean stops: gRPC health turns {@code NOT_SERVING} and registrations are removed while the
 * gRPC server still accepts calls; Boot's server lifecycle then drains in-flight calls within
 * {@code spring.grpc.server.shutdown.grace-period}, and backends close last as their beans are destroyed.
 * Also runs when the gRPC server alone is stopped ({@code GrpcServerShutdownEvent}).
 */
public class GrpcScaleShutdown implements ApplicationListener<ApplicationEvent>, Ordered {

	private static final String SERVER_SHUTDOWN_EVENT = "org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent";

	private final EnhancedServiceManager manager;

	/**
	 * Creates the listener.
	 * @param manager the manager to shut down
	 */
	public GrpcScaleShutdown(EnhancedServiceManager manager) {
		this.manager = manager;
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (event instanceof ContextClosedEvent || SERVER_SHUTDOWN_EVENT.equals(event.getClass().getName())) {
			this.manager.gracefulShutdown();
		}
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
