package dev.grpcscale.docs.snippets;

// tag::imports[]
import dev.grpcscale.autoconfigure.cluster.LeadershipGrantedEvent;
import dev.grpcscale.autoconfigure.cluster.LeadershipRevokedEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
// end::imports[]

// tag::code[]
@Component
class LeadershipLogger {

    private static final Logger log = LoggerFactory.getLogger(LeadershipLogger.class);

    @EventListener
    void onGranted(LeadershipGrantedEvent event) {
        log.info("leading with fencing token {}", event.getFencingToken());
    }

    @EventListener
    void onRevoked(LeadershipRevokedEvent event) {
        log.info("no longer leading (fencing token {})", event.getFencingToken());
    }

}
// end::code[]
