package dev.grpcscale.autoconfigure.actuate;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.cluster.LeaderElection;

/**
 * Auto-configuration of the {@code cluster} health indicator ({@link ClusterHealthIndicator}): leader,
 * whether this node leads, its own and the highest fencing token seen, and members. Turn it off with
 * {@code management.health.cluster.enabled=false}.
 */
@AutoConfiguration(after = GrpcScaleClusterAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
public final class ClusterHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "clusterHealthIndicator")
	@ConditionalOnBean(LeaderElection.class)
	@ConditionalOnEnabledHealthIndicator("cluster")
	ClusterHealthIndicator clusterHealthIndicator(LeaderElection election) {
		return new ClusterHealthIndicator(election);
	}

}
