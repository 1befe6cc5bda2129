package dev.grpcscale.autoconfigure.kubernetes;

import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * Keeps Boot's readiness state in step with the gRPC health grpc-scale serves, for a pod whose readiness
 * probe is Actuator's readiness group ({@code /actuator/health/readiness}, which holds
 * {@code readinessState}): when grpc-scale turns gRPC health {@code NOT_SERVING} ahead of the drain (the
 * context closing, or the gRPC server alone stopping) readiness turns {@code REFUSING_TRAFFIC}, so Kubernetes
 * takes the pod out of its Service's EndpointSlices, and every client following them, before calls drain;
 * when the gRPC server starts again after such a stop it turns {@code ACCEPTING_TRAFFIC}. Boot itself turns
 * readiness {@code ACCEPTING_TRAFFIC} once the application is ready.
 */
public class GrpcServingReadiness implements ApplicationListener<ApplicationEvent> {

	private static final Log logger = LogFactory.getLog(GrpcServingReadiness.class);

	private final ApplicationContext context;

	private final AtomicBoolean refusing = new AtomicBoolean();

	/**
	 * Creates the listener.
	 * @param context the context whose readiness it changes and whose events count
	 */
	public GrpcServingReadiness(ApplicationContext context) {
		this.context = context;
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() != this.context) {
			return;
		}
		if (event instanceof ContextClosedEvent || event instanceof GrpcServerShutdownEvent) {
			if (this.refusing.compareAndSet(false, true)) {
				logger.info("gRPC health is NOT_SERVING ahead of the drain: readiness REFUSING_TRAFFIC");
				AvailabilityChangeEvent.publish(this.context, ReadinessState.REFUSING_TRAFFIC);
			}
		}
		else if (event instanceof GrpcServerStartedEvent && this.refusing.compareAndSet(true, false)) {
			AvailabilityChangeEvent.publish(this.context, ReadinessState.ACCEPTING_TRAFFIC);
		}
	}

	@Override
	public boolean supportsAsyncExecution() {
		return false;
	}

}
