package dev.grpcscale.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;

/**
 * A store fenced by leadership tokens, on etcd: the pattern docs/cluster.md recommends for downstream
 * writes. It keeps the highest token written under {@code <prefix>token} and each write under
 * {@code <prefix>writes/<id>}; a write is one transaction
 *
 * <pre>
 * if value(&lt;prefix&gt;token) &lt;= token
 * then put(&lt;prefix&gt;token, token), put(&lt;prefix&gt;writes/&lt;id&gt;, token)
 * else get(&lt;prefix&gt;token)
 * </pre>
 *
 * so a write under a token below one already written (a deposed leader's late write) is rejected by etcd
 * itself, atomically with the check. Tokens are stored as 20-digit zero-padded decimals so that etcd's
 * byte-wise value comparison orders them as numbers. {@link #initialize()} must run once before writes (an
 * etcd value comparison on a missing key always fails).
 */
final class EtcdFencedStore {

	private final KV kv;

	private final String prefix;

	private final ByteSequence tokenKey;

	EtcdFencedStore(KV kv, String prefix) {
		this.kv = kv;
		this.prefix = prefix;
		this.tokenKey = bytes(prefix + "token");
	}

	/** Creates the token key with token 0 unless it exists. */
	CompletableFuture<Void> initialize() {
		return this.kv.txn()
			.If(new Cmp(this.tokenKey, Cmp.Op.EQUAL, CmpTarget.version(0)))
			.Then(Op.put(this.tokenKey, bytes(pad(0)), PutOption.DEFAULT))
			.commit()
			.thenApply((response) -> null);
	}

	/**
	 * Writes {@code id} under {@code token} unless a higher token was written before.
	 * @return accepted (with the revision of the write) or rejected (with the highest token written)
	 */
	CompletableFuture<Result> write(long token, String id) {
		ByteSequence value = bytes(pad(token));
		return this.kv.txn()
			.If(new Cmp(this.tokenKey, Cmp.Op.LESS, CmpTarget.value(bytes(pad(token + 1)))))
			.Then(Op.put(this.tokenKey, value, PutOption.DEFAULT),
					Op.put(bytes(this.prefix + "writes/" + id), value, PutOption.DEFAULT))
			.Else(Op.get(this.tokenKey, GetOption.DEFAULT))
			.commit()
			.thenApply(EtcdFencedStore::result);
	}

	/** Every write the store holds, in the order etcd applied them (by modification revision). */
	CompletableFuture<List<StoredWrite>> writes() {
		ByteSequence writes = bytes(this.prefix + "writes/");
		return this.kv.get(writes, GetOption.builder().isPrefix(true).build())
			.thenApply((response) -> response.getKvs()
				.stream()
				.map((kv) -> new StoredWrite(string(kv.getKey()).substring(this.prefix.length() + "writes/".length()),
						Long.parseLong(string(kv.getValue())), kv.getModRevision()))
				.sorted(Comparator.comparingLong(StoredWrite::revision))
				.toList());
	}

	/** The highest token written, {@code 0} before any write. */
	CompletableFuture<Long> highestToken() {
		return this.kv.get(this.tokenKey)
			.thenApply((response) -> response.getKvs().isEmpty() ? 0L
					: Long.parseLong(string(response.getKvs().get(0).getValue())));
	}

	private static Result result(TxnResponse response) {
		if (response.isSucceeded()) {
			return new Result(true, response.getHeader().getRevision(), -1);
		}
		List<KeyValue> kvs = response.getGetResponses().get(0).getKvs();
		long highest = kvs.isEmpty() ? 0 : Long.parseLong(string(kvs.get(0).getValue()));
		return new Result(false, response.getHeader().getRevision(), highest);
	}

	static String pad(long token) {
		return String.format("%020d", token);
	}

	private static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	private static String string(ByteSequence bytes) {
		return bytes.toString(StandardCharsets.UTF_8);
	}

	/**
	 * The outcome of a write.
	 * @param accepted whether the store took it
	 * @param revision the etcd revision of the answer (of the write when accepted)
	 * @param highestToken when rejected, the highest token written, which is above the write's
	 */
	record Result(boolean accepted, long revision, long highestToken) {
	}

	/**
	 * One write the store holds.
	 * @param id the write's id
	 * @param token the token it was written under
	 * @param revision the etcd revision that wrote it
	 */
	record StoredWrite(String id, long token, long revision) {
	}

}
