package dev.grpcscale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import java.net.URI;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link EnhancedServiceManager#executeWithEnhancements}: a lambda that throws no checked exception needs no
 * {@code catch}, one that throws a checked exception must handle exactly that one, and a {@link Callable}
 * still goes through the form kept for it.
 */
class ExecuteWithEnhancementsTests {

	private final GrpcCircuitBreakers breakers = GrpcCircuitBreakers.ofDefaults();

	private final EnhancedServiceManager manager = EnhancedServiceManager.builder()
		.circuitBreakers(this.breakers)
		.observationRegistry(ObservationRegistry.create())
		.build();

	// no 'throws' clause: this compiles only if the lambda form declares no checked exception
	@Test
	void lambdaThrowingNothingNeedsNoCatch() {
		int answer = this.manager.executeWithEnhancements(() -> 42, "answer");
		assertThat(answer).isEqualTo(42);
	}

	@Test
	void checkedExceptionOfTheOperationReachesTheCallerUnchanged() {
		IOException failure = new IOException("disk gone");
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> this.manager.executeWithEnhancements(() -> {
				throwIo(failure);
				return "never";
			}, "read"))
			.isSameAs(failure);
	}

	@Test
	void uncheckedExceptionOfTheOperationReachesTheCallerUnchanged() {
		UncheckedIOException failure = new UncheckedIOException(new IOException("disk gone"));
		assertThatExceptionOfType(UncheckedIOException.class)
			.isThrownBy(() -> this.manager.executeWithEnhancements(() -> {
				throw failure;
			}, "read"))
			.isSameAs(failure);
	}

	@Test
	void openBreakerRejectsTheLambdaFormWithoutRunningIt() {
		this.breakers.operationBreaker("flaky").transitionToForcedOpenState();
		List<String> ran = new ArrayList<>();
		assertThatExceptionOfType(CircuitBreakerOpenException.class)
			.isThrownBy(() -> this.manager.executeWithEnhancements(() -> ran.add("ran"), "flaky"));
		assertThat(ran).isEmpty();
		assertThat(this.breakers.operationBreaker("flaky").getState()).isEqualTo(CircuitBreaker.State.FORCED_OPEN);
	}

	@Test
	void callableVariableStillUsesTheCallableForm() throws Exception {
		Callable<String> operation = () -> "from a callable";
		assertThat(this.manager.executeWithEnhancements(operation, "callable")).isEqualTo("from a callable");
	}

	@Test
	void compilerAcceptsLambdaWithoutCatchAndRequiresHandlingOfACheckedException(@TempDir Path out)
			throws Exception {
		String ok = """
				class Ok {
				    int run(dev.grpcscale.EnhancedServiceManager manager) {
				        return manager.executeWithEnhancements(() -> 1, "op");
				    }
				    String io(dev.grpcscale.EnhancedServiceManager manager) throws java.io.IOException {
				        return manager.executeWithEnhancements(() -> {
				            if (manager == null) { throw new java.io.IOException("x"); }
				            return "s";
				        }, "op");
				    }
				}
				""";
		assertThat(compile(out, "Ok", ok)).isEmpty();
		String unhandled = """
				class Unhandled {
				    String io(dev.grpcscale.EnhancedServiceManager manager) {
				        return manager.executeWithEnhancements(() -> {
				            if (manager == null) { throw new java.io.IOException("x"); }
				            return "s";
				        }, "op");
				    }
				}
				""";
		assertThat(compile(out, "Unhandled", unhandled)).singleElement()
			.asString()
			.contains("unreported exception java.io.IOException");
	}

	private static void throwIo(IOException ex) throws IOException {
		throw ex;
	}

	private static List<String> compile(Path out, String className, String source) throws URISyntaxException {
		JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
		DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
		String classpath = Stream.of(EnhancedServiceManager.class, ObservationRegistry.class, HealthStatusManager.class,
				io.grpc.BindableService.class, Nullable.class, CircuitBreaker.class)
			.map(ExecuteWithEnhancementsTests::location)
			.collect(Collectors.joining(java.io.File.pathSeparator));
		JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + className + ".java"),
				JavaFileObject.Kind.SOURCE) {
			@Override
			public CharSequence getCharContent(boolean ignoreEncodingErrors) {
				return source;
			}
		};
		try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
			compiler.getTask(null, files, diagnostics,
					List.of("-proc:none", "-classpath", classpath, "-d", out.toString()), null, List.of(file))
				.call();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return diagnostics.getDiagnostics()
			.stream()
			.filter((d) -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR)
			.map((d) -> d.getMessage(Locale.ROOT))
			.toList();
	}

	private static String location(Class<?> type) {
		try {
			return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
		}
		catch (URISyntaxException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
