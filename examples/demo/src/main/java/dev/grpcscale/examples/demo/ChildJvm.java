package dev.grpcscale.examples.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

/**
 * How to start another application of this demo as a JVM process with the demo's own classes: from the
 * demo's executable jar through Spring Boot's {@code PropertiesLauncher} ({@code -Dloader.main}), or from
 * a plain class path (an IDE, a test).
 */
final class ChildJvm {

	private static final String PROPERTIES_LAUNCHER = "org.springframework.boot.loader.launch.PropertiesLauncher";

	private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
			"-XX:+UseSerialGC");

	private final String classpath;

	private final boolean bootJar;

	private ChildJvm(String classpath, boolean bootJar) {
		this.classpath = classpath;
		this.bootJar = bootJar;
	}

	/**
	 * The class path of this JVM.
	 * @param classpath the class path; a single Spring Boot executable jar is started through its launcher
	 */
	static ChildJvm of(String classpath) throws IOException {
		return new ChildJvm(classpath, isBootJar(classpath));
	}

	private static boolean isBootJar(String classpath) throws IOException {
		if (!classpath.endsWith(".jar") || classpath.contains(java.io.File.pathSeparator)) {
			return false;
		}
		try (JarFile jar = new JarFile(classpath)) {
			return jar.getEntry("BOOT-INF/classes/") != null;
		}
	}

	/**
	 * The command that runs a main class.
	 * @param mainClass the class whose {@code main} runs
	 * @param args its arguments
	 */
	List<String> command(Class<?> mainClass, List<String> args) {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(JVM_OPTIONS);
		command.add("-cp");
		command.add(this.classpath);
		if (this.bootJar) {
			command.add("-Dloader.main=" + mainClass.getName());
			command.add(PROPERTIES_LAUNCHER);
		}
		else {
			command.add(mainClass.getName());
		}
		command.addAll(args);
		return command;
	}

}
