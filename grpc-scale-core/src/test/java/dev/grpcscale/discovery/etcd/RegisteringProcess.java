package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * A service process for crash tests: registers one instance with an {@link EtcdServiceRegistry} and runs
 * until it is killed. Arguments: endpoint, namespace, service, instance id, port, lease TTL in seconds.
 */
public final class RegisteringProcess {

	private RegisteringProcess() {
	}

	public static void main(String[] args) throws InterruptedException {
		EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
			.endpoints(args[0])
			.namespace(args[1])
			.leaseTtl(Duration.ofSeconds(Long.parseLong(args[5])))
			.build();
		registry.register(new ServiceInstance(args[2], args[3], "127.0.0.1", Integer.parseInt(args[4]),
				Map.of("pid", Long.toString(ProcessHandle.current().pid())), InstanceStatus.UP, Instant.now()));
		System.out.println("REGISTERED " + args[2] + "/" + args[3]);
		new CountDownLatch(1).await();
	}

}
