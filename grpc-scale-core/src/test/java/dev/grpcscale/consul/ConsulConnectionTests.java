package dev.grpcscale.consul;

import java.net.URI;
import java.security.KeyStore;
import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ConsulConnectionTests {

	@Test
	void defaultsToPlainHttpOnLocalhost8500WithoutTokenAndATenSecondTimeout() {
		ConsulConnection connection = ConsulConnection.builder().build();

		assertThat(connection.agent()).isEqualTo(URI.create("http://localhost:8500/"));
		assertThat(connection.sslContext()).isNull();
		assertThat(connection.token()).isNull();
		assertThat(connection.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
		assertThat(ConsulConnection.of("10.0.0.7", 8501).agent()).isEqualTo(URI.create("http://10.0.0.7:8501/"));
	}

	@Test
	void trustStoreTurnsOnHttps() throws Exception {
		KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
		trust.load(null, null);

		ConsulConnection connection = ConsulConnection.builder().host(" consul.local ").trustStore(trust).build();

		assertThat(connection.agent()).isEqualTo(URI.create("https://consul.local:8500/"));
		assertThat(connection.sslContext()).isNotNull();
	}

	@Test
	void toStringSaysWhetherATokenIsSetButNeverTheToken() {
		assertThat(ConsulConnection.builder().token("s3cret").build().toString())
			.isEqualTo("ConsulConnection[agent=http://localhost:8500/, aclToken=(set)]");
		assertThat(ConsulConnection.builder().build().toString())
			.isEqualTo("ConsulConnection[agent=http://localhost:8500/, aclToken=(none)]");
	}

	@Test
	void builderRejectsBadSettingsNamingTheSettingAndWhatIsExpected() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulConnection.builder().port(0))
			.withMessage("port: 0 (expected: 1..65535)");
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulConnection.builder().host(" "))
			.withMessage("host: ' ' (expected: a host name or IP address)");
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulConnection.builder().host("a b").build())
			.withMessage("host: 'a b' (expected: a host name or IP address)");
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulConnection.builder().scheme("ftp"))
			.withMessage("scheme: 'ftp' (expected: http or https)");
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulConnection.builder().token("  "))
			.withMessage("token: blank (expected: an ACL token)");
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulConnection.builder().requestTimeout(Duration.ZERO))
			.withMessage("requestTimeout: PT0S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulConnection.builder().sslContext(SSLContext.getDefault()).scheme("http").build())
			.withMessage("scheme: 'http' (expected: https when an SSLContext or trust store is set)");
	}

}
