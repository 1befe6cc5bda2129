package dev.grpcscale.docs.snippets;

import java.util.List;

// tag::imports[]
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderTask;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
// end::imports[]

@Configuration(proxyBeanMethods = false)
class Reconciler {

    /** A store that rejects writes carrying a fencing token lower than one it has seen. */
    interface Store {

        void write(List<String> batch, long fencingToken);

    }

    // tag::code[]
    @Bean(destroyMethod = "close")
    LeaderTask reconciler(LeaderElection election, Store store) {
        return LeaderTask.start(election, "reconciler", (token) -> {
            while (!Thread.currentThread().isInterrupted()) {
                store.write(nextBatch(), token);   // the store rejects tokens lower than one it has seen
            }
        });
    }
    // end::code[]

    private static List<String> nextBatch() {
        return List.of();
    }

}
