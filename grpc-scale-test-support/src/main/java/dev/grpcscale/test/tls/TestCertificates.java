package dev.grpcscale.test.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A certificate authority made for one test run with the JDK's {@code keytool}, and the server and client
 * certificates it signs, each as a PKCS12 key store and as PEM files. Every key store and key has the
 * password {@link #PASSWORD}; {@link #trustStore()} holds the CA only.
 *
 * <pre>{@code
 * TestCertificates tls = TestCertificates.create(tempDir);
 * TestCertificates.Identity server = tls.issue("server", "user-service", "localhost", "127.0.0.1");
 * }</pre>
 */
public final class TestCertificates {

	/** The password of every key store and key. */
	public static final String PASSWORD = "changeit";

	private final Path directory;

	private final Path caStore;

	private final Path caCertificate;

	private final Path trustStore;

	private TestCertificates(Path directory) {
		this.directory = directory;
		this.caStore = directory.resolve("ca.p12");
		this.caCertificate = directory.resolve("ca.crt");
		this.trustStore = directory.resolve("trust.p12");
	}

	/**
	 * Makes a CA in a directory.
	 * @param directory where the files go; it must exist
	 * @return the CA
	 * @throws IOException if keytool fails
	 */
	public static TestCertificates create(Path directory) throws IOException {
		TestCertificates certificates = new TestCertificates(directory);
		certificates.keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
				"-dname", "CN=grpc-scale test CA", "-ext", "bc:c", "-validity", "2", "-keystore",
				certificates.caStore.toString());
		certificates.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", certificates.caStore.toString(),
				"-file", certificates.caCertificate.toString());
		certificates.keytool("-importcert", "-noprompt", "-alias", "ca", "-file",
				certificates.caCertificate.toString(), "-keystore", certificates.trustStore.toString());
		return certificates;
	}

	/** A PKCS12 trust store holding the CA certificate. */
	public Path trustStore() {
		return this.trustStore;
	}

	/** The CA certificate, PEM. */
	public Path caCertificate() {
		return this.caCertificate;
	}

	/**
	 * Issues a certificate signed by the CA, for server and client authentication.
	 * @param name a file name for it, unique in the directory
	 * @param subjectAlternativeNames DNS names and IP addresses it is valid for; the first is also its CN
	 * @return its key store and PEM files
	 * @throws IOException if keytool fails
	 */
	public Identity issue(String name, String... subjectAlternativeNames) throws IOException {
		Path store = this.directory.resolve(name + ".p12");
		Path request = this.directory.resolve(name + ".csr");
		Path certificate = this.directory.resolve(name + ".crt");
		List<String> sans = new ArrayList<>();
		for (String san : subjectAlternativeNames) {
			sans.add((san.matches("[0-9.]+") || san.contains(":") ? "ip:" : "dns:") + san);
		}
		keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
				"CN=" + subjectAlternativeNames[0], "-validity", "2", "-keystore", store.toString());
		keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", request.toString());
		keytool("-gencert", "-alias", "ca", "-keystore", this.caStore.toString(), "-infile", request.toString(),
				"-outfile", certificate.toString(), "-rfc", "-validity", "2", "-ext",
				"SAN=" + String.join(",", sans), "-ext", "EKU=serverAuth,clientAuth");
		keytool("-importcert", "-noprompt", "-alias", "ca", "-file", this.caCertificate.toString(), "-keystore",
				store.toString());
		keytool("-importcert", "-alias", name, "-file", certificate.toString(), "-keystore", store.toString());
		Path key = this.directory.resolve(name + ".key");
		Path chain = this.directory.resolve(name + "-chain.crt");
		writePem(store, name, key, chain);
		return new Identity(store, chain, key);
	}

	private static void writePem(Path store, String alias, Path key, Path chain) throws IOException {
		try {
			KeyStore keyStore = KeyStore.getInstance("PKCS12");
			try (var in = Files.newInputStream(store)) {
				keyStore.load(in, PASSWORD.toCharArray());
			}
			PrivateKey privateKey = (PrivateKey) keyStore.getKey(alias, PASSWORD.toCharArray());
			Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()), StandardCharsets.US_ASCII);
			StringBuilder certificates = new StringBuilder();
			for (Certificate certificate : keyStore.getCertificateChain(alias)) {
				certificates.append(pem("CERTIFICATE", certificate.getEncoded()));
			}
			Files.writeString(chain, certificates, StandardCharsets.US_ASCII);
		}
		catch (java.security.GeneralSecurityException ex) {
			throw new IOException("Cannot read " + store, ex);
		}
	}

	private static String pem(String type, byte[] der) {
		return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] { '\n' }).encodeToString(der)
				+ "\n-----END " + type + "-----\n";
	}

	private void keytool(String... arguments) throws IOException {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
		command.addAll(List.of(arguments));
		command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
		if (List.of(arguments).contains("-genkeypair")) {
			command.addAll(List.of("-keypass", PASSWORD));
		}
		Process process = new ProcessBuilder(command).directory(this.directory.toFile())
			.redirectErrorStream(true)
			.start();
		try {
			byte[] output = process.getInputStream().readAllBytes();
			if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
				throw new IOException("keytool " + String.join(" ", arguments) + " failed: "
						+ new String(output, StandardCharsets.UTF_8));
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
			throw new IOException("Interrupted while running keytool", ex);
		}
	}

	/**
	 * A certificate and its key.
	 *
	 * @param keyStore PKCS12 key store with the key, the certificate and the CA (password {@link #PASSWORD})
	 * @param certificateChain the certificate then the CA's, PEM
	 * @param privateKey the key, unencrypted PKCS#8 PEM
	 */
	public record Identity(Path keyStore, Path certificateChain, Path privateKey) {

		/**
		 * An {@link SSLContext} that presents this certificate, for a test server (or a client presenting it),
		 * trusting the JVM's default authorities.
		 * @return the context
		 * @throws IOException if the key store cannot be read
		 */
		public SSLContext sslContext() throws IOException {
			try {
				KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
				keys.init(load(this.keyStore), PASSWORD.toCharArray());
				SSLContext context = SSLContext.getInstance("TLS");
				context.init(keys.getKeyManagers(), null, null);
				return context;
			}
			catch (java.security.GeneralSecurityException ex) {
				throw new IOException("Cannot use " + this.keyStore, ex);
			}
		}

	}

	/**
	 * The {@link #trustStore()}, loaded.
	 * @return a key store holding the CA certificate
	 * @throws IOException if it cannot be read
	 */
	public KeyStore loadTrustStore() throws IOException {
		return load(this.trustStore);
	}

	private static KeyStore load(Path file) throws IOException {
		try (var in = Files.newInputStream(file)) {
			KeyStore store = KeyStore.getInstance("PKCS12");
			store.load(in, PASSWORD.toCharArray());
			return store;
		}
		catch (java.security.GeneralSecurityException ex) {
			throw new IOException("Cannot read " + file, ex);
		}
	}

}
