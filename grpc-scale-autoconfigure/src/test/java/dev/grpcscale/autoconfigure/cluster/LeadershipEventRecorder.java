package dev.grpcscale.autoconfigure.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.context.ApplicationListener;

/** Records the leadership events of one application context, as {@code granted:<token>} / {@code revoked:<token>}. */
class LeadershipEventRecorder implements ApplicationListener<LeadershipChangedEvent> {

	final List<LeadershipChangedEvent> events = new CopyOnWriteArrayList<>();

	final List<String> log;

	LeadershipEventRecorder() {
		this(new CopyOnWriteArrayList<>());
	}

	LeadershipEventRecorder(List<String> log) {
		this.log = log;
	}

	@Override
	public void onApplicationEvent(LeadershipChangedEvent event) {
		this.events.add(event);
		this.log.add(((event instanceof LeadershipGrantedEvent) ? "granted:" : "revoked:") + event.getFencingToken());
	}

	List<String> kinds() {
		return this.events.stream().map((event) -> event.getClass().getSimpleName()).toList();
	}

}
