package dev.grpcscale.cluster.kubernetes;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LeaseNamesTests {

	@Test
	void leaseNameIsTheQualifiedNameLowerCasedWithOtherCharactersAsDashes() {
		assertThat(LeaseNames.leaseName("grpc-scale/Orders_Service.v2")).isEqualTo("grpc-scale-orders-service-v2");
		assertThat(LeaseNames.leaseName("grpc-scale/default")).isEqualTo("grpc-scale-default");
	}

	@Test
	void rejectsALeaseNameThatIsNoDnsLabel() {
		assertThatIllegalArgumentException().isThrownBy(() -> LeaseNames.leaseName("grpc-scale/" + "x".repeat(53)))
			.withMessageStartingWith("leaseName: 'grpc-scale-xxx")
			.withMessageContaining("from election 'grpc-scale/xxx")
			.withMessageContaining("(expected: at most 63 characters of a-z, 0-9 and '-'");
		assertThatIllegalArgumentException().isThrownBy(() -> LeaseNames.leaseName("orders_"))
			.withMessageStartingWith("leaseName: 'orders-' from election 'orders_' (expected: ");
		assertThat(LeaseNames.leaseName("grpc-scale/" + "x".repeat(52))).hasSize(63);
	}

	@Test
	void memberLeaseNameKeepsAPodNameAndHashesAnyOtherNodeId() {
		// after a dot, which no election Lease name has: election "orders" and node "jobs" never name the Lease of
		// election "orders-jobs"
		assertThat(LeaseNames.memberLeaseName(LeaseNames.leaseName("grpc-scale/orders"), "jobs"))
			.isNotEqualTo(LeaseNames.leaseName("grpc-scale/orders-jobs"));
		assertThat(LeaseNames.memberLeaseName("grpc-scale-orders", "orders-7d9f8-abcde"))
			.isEqualTo("grpc-scale-orders.orders-7d9f8-abcde");
		String upper = LeaseNames.memberLeaseName("grpc-scale-orders", "Node_1");
		String lower = LeaseNames.memberLeaseName("grpc-scale-orders", "node-1");
		assertThat(upper).matches("grpc-scale-orders\\.node-1-[0-9a-f]{8}");
		assertThat(lower).isEqualTo("grpc-scale-orders.node-1");
		assertThat(LeaseNames.memberLeaseName("grpc-scale-orders", "n".repeat(300))).hasSizeLessThanOrEqualTo(253)
			.matches("grpc-scale-orders\\.n+-[0-9a-f]{8}");
		assertThat(LeaseNames.memberLeaseName("grpc-scale-orders", "___")).matches("grpc-scale-orders\\.[0-9a-f]{8}");
	}

}
