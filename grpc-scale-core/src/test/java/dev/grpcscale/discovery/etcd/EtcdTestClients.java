package dev.grpcscale.discovery.etcd;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;

/** A raw jetcd client for tests, to look at and change what is stored without the registry. */
final class EtcdTestClients implements AutoCloseable {

	final Client client;

	EtcdTestClients(List<String> endpoints) {
		this.client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
	}

	static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	void put(String key, String value) throws Exception {
		this.client.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
	}

	long putRevision(String key, String value) throws Exception {
		return this.client.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
	}

	void delete(String key) throws Exception {
		this.client.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS);
	}

	KeyValue get(String key) throws Exception {
		GetResponse response = this.client.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS);
		return response.getKvs().isEmpty() ? null : response.getKvs().get(0);
	}

	String value(String key) throws Exception {
		KeyValue kv = get(key);
		return (kv != null) ? kv.getValue().toString(StandardCharsets.UTF_8) : null;
	}

	boolean exists(String key) throws Exception {
		return get(key) != null;
	}

	/** Remaining TTL of a lease in seconds, or -1 when it does not exist. */
	long ttl(long leaseId) throws Exception {
		return this.client.getLeaseClient()
			.timeToLive(leaseId, io.etcd.jetcd.options.LeaseOption.DEFAULT)
			.get(10, TimeUnit.SECONDS)
			.getTTL();
	}

	@Override
	public void close() {
		this.client.close();
	}

}
