package dev.grpcscale.benchmarks;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Case c's CPU rounds on small caches: every variant is measured in every round and reads the instances
 * its name says, from the memory registry and from a registry reading a real etcd. No figure is judged here.
 */
class DiscoveryCacheCpuTests {

	@Test
	void memoryRoundsMeasureEveryReadAndTheMapBaselineAtEachSize() throws Exception {
		CpuSamples samples = DiscoveryCacheCpu.memory(3, 20_000, List.of(10, 100));
		Map<String, List<double[]>> rounds = samples.byThreads().get(1);
		assertThat(rounds).containsOnlyKeys("bareMapGet@10", "getInstances@10", "discoverServices@10",
				"bareMapGet@100", "getInstances@100", "discoverServices@100");
		assertThat(rounds.values()).allSatisfy((variant) -> assertThat(variant).hasSize(3));
		assertThat(rounds.get("getInstances@100")).extracting((round) -> round[2]).containsOnly(100.0);
		assertThat(samples.cpu(1, "discoverServices@100").median()).isPositive();
	}

	@Test
	void etcdRoundsReadTheCacheOfARegistryOnARealEtcd() throws Exception {
		CpuSamples samples = DiscoveryCacheCpu.etcd(2, 20_000, List.of(3, 20));
		Map<String, List<double[]>> rounds = samples.byThreads().get(1);
		assertThat(rounds).containsOnlyKeys("getInstances@3", "discoverServices@3", "getInstances@20",
				"discoverServices@20");
		assertThat(rounds.get("discoverServices@20")).extracting((round) -> round[2]).containsOnly(20.0, 20.0);
		assertThat(samples.cpu(1, "getInstances@20").median()).isPositive();
	}

	@Test
	void aVariantThatReadsAnotherNumberOfInstancesIsRejectedByName() {
		CpuSamples samples = new CpuSamples(Map.of(1, Map.of("getInstances@10000",
				List.of(new double[] { 8, 0, 10_000 }, new double[] { 8, 0, 9_999 }))));
		assertThatIllegalStateException().isThrownBy(() -> DiscoveryCacheCpu.checked(samples))
			.withMessage("getInstances@10000: read 9999 instances (expected: 10000)");
	}

}
