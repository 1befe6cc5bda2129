package dev.grpcscale.autoconfigure.cluster;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.ApplicationEventPublisher;

import dev.grpcscale.Subscription;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeadershipEvent;
import dev.grpcscale.cluster.LeadershipListener;

/**
 * A {@link LeadershipListener} that publishes this node's leadership grants and revocations as
 * {@link LeadershipGrantedEvent} and {@link LeadershipRevokedEvent} Spring application events. Renewals are
 * not published. A failing Spring listener is logged and does not affect the election.
 */
public final class LeadershipEventPublisher implements LeadershipListener, AutoCloseable {

	private static final Log logger = LogFactory.getLog(LeadershipEventPublisher.class);

	private final LeaderElection election;

	private final ApplicationEventPublisher publisher;

	private volatile Subscription subscription = () -> {
	};

	private LeadershipEventPublisher(LeaderElection election, ApplicationEventPublisher publisher) {
		this.election = election;
		this.publisher = publisher;
	}

	/**
	 * Starts publishing the election's leadership changes. If this node leads already, a
	 * {@link LeadershipGrantedEvent} is published first.
	 * @param election the election
	 * @param publisher where events go
	 * @return the publisher; close it to stop
	 */
	public static LeadershipEventPublisher subscribe(LeaderElection election, ApplicationEventPublisher publisher) {
		LeadershipEventPublisher listener = new LeadershipEventPublisher(election, publisher);
		listener.subscription = election.addListener(listener);
		return listener;
	}

	@Override
	public void onLeadershipChange(LeadershipEvent event) {
		LeadershipChangedEvent published = switch (event.type()) {
			case GRANTED -> new LeadershipGrantedEvent(this.election, event.nodeId(), event.fencingToken());
			case REVOKED -> new LeadershipRevokedEvent(this.election, event.nodeId(), event.fencingToken());
			case RENEWED -> null;
		};
		if (published == null) {
			return;
		}
		try {
			this.publisher.publishEvent(published);
		}
		catch (RuntimeException ex) {
			logger.warn("A listener of " + published + " failed", ex);
		}
	}

	/** Stops publishing. Idempotent. */
	@Override
	public void close() {
		this.subscription.cancel();
	}

}
