package dev.grpcscale.autoconfigure;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Checks {@code grpc.scale.services}, the services this application registers: each named (or
 * {@code spring.application.name} set), names unique, ports and hosts valid. Reports to the shared
 * {@link PropertyProblems}; part of {@link GrpcScalePropertiesValidator}.
 */
final class ServicesPropertiesChecker {

	private final PropertyProblems problems;

	/**
	 * A checker reporting to the given problems.
	 * @param problems where every invalid value is reported
	 */
	ServicesPropertiesChecker(PropertyProblems problems) {
		this.problems = problems;
	}

	/**
	 * Checks the services.
	 * @param services the bound services
	 * @param applicationName {@code spring.application.name}, the name of a service that sets none
	 */
	void check(List<GrpcScaleProperties.Service> services, @Nullable String applicationName) {
		Set<String> seen = new HashSet<>();
		for (int i = 0; i < services.size(); i++) {
			GrpcScaleProperties.Service service = services.get(i);
			String prefix = "services[" + i + "].";
			String name = (service.getName() != null) ? service.getName() : applicationName;
			if (name == null) {
				this.problems.add(prefix + "name", "", "a service name, or spring.application.name set");
			}
			else if (!PropertyProblems.isName(name)) {
				this.problems.add(prefix + "name", name, PropertyProblems.NAME_EXPECTED);
			}
			else if (!seen.add(name)) {
				this.problems.add(prefix + "name", name, "a name not used by another grpc.scale.services entry");
			}
			if (service.getPort() != 0 && !PropertyProblems.isPort(service.getPort())) {
				this.problems.add(prefix + "port", service.getPort(), "0..65535, 0 for the gRPC server's bound port");
			}
			this.problems.notBlankWhenSet(prefix + "host", service.getHost(), "a host name or IP address, or unset");
		}
	}

}
