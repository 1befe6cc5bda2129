package dev.grpcscale.benchmarks;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.HashMap;
import java.util.Map;

/**
 * What the process's threads spent between two snapshots, in counters that move far less with the machine's
 * load than throughput does: process CPU time ({@code com.sun.management.OperatingSystemMXBean#getProcessCpuTime},
 * all threads including GC and JIT), the CPU time of each Java thread ({@code ThreadMXBean#getThreadCpuTime},
 * without the JIT compiler and GC threads, so a late compilation does not land on whichever stack runs then) and
 * the bytes each Java thread allocated on the heap
 * ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}), summed over all threads or over the threads
 * whose names start with a prefix ({@link StackThreads}), and the collectors' time. A thread that ends between
 * the snapshots is not counted and one started in between counts from zero, so measurements keep their threads
 * alive. Not even CPU time is free of the machine: where the host takes the virtual machine's cores away
 * without the guest seeing it as steal time, a thread's CPU time grows while it makes no progress, which is
 * why case a measures its stacks at the same time ({@link ConcurrentLoadComparison}).
 */
final class CostMeter {

	private final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory
		.getOperatingSystemMXBean();

	private final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	CostMeter() {
		if (this.threads.isThreadAllocatedMemorySupported() && !this.threads.isThreadAllocatedMemoryEnabled()) {
			this.threads.setThreadAllocatedMemoryEnabled(true);
		}
		if (this.threads.isThreadCpuTimeSupported() && !this.threads.isThreadCpuTimeEnabled()) {
			this.threads.setThreadCpuTimeEnabled(true);
		}
	}

	/** The process's CPU time and every live thread's allocated bytes now. */
	Snapshot snapshot() {
		long[] ids = this.threads.getAllThreadIds();
		long[] allocated = this.threads.getThreadAllocatedBytes(ids);
		long[] cpu = this.threads.getThreadCpuTime(ids);
		ThreadInfo[] infos = this.threads.getThreadInfo(ids);
		Map<Long, Long> byThread = new HashMap<>(ids.length * 2);
		Map<Long, Long> cpuByThread = new HashMap<>(ids.length * 2);
		Map<Long, String> names = new HashMap<>(ids.length * 2);
		for (int i = 0; i < ids.length; i++) {
			if (infos[i] != null) {
				names.put(ids[i], infos[i].getThreadName());
			}
			if (allocated[i] >= 0) {
				byThread.put(ids[i], allocated[i]);
			}
			if (cpu[i] >= 0) {
				cpuByThread.put(ids[i], cpu[i]);
			}
		}
		long gcMillis = 0;
		for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
			gcMillis += Math.max(0, collector.getCollectionTime());
		}
		return new Snapshot(this.os.getProcessCpuTime(), cpuByThread, byThread, names, gcMillis);
	}

	/**
	 * Counters at one moment.
	 * @param cpuNanos the process's CPU time
	 * @param cpuByThread CPU time so far, by Java thread id
	 * @param allocatedByThread bytes allocated so far, by thread id
	 * @param names every thread's name, by thread id
	 * @param gcMillis the collectors' accumulated collection time ({@code GarbageCollectorMXBean#getCollectionTime})
	 */
	record Snapshot(long cpuNanos, Map<Long, Long> cpuByThread, Map<Long, Long> allocatedByThread,
			Map<Long, String> names, long gcMillis) {

		/** Milliseconds the collectors reported collecting from {@code earlier} to this snapshot. */
		long gcMillisSince(Snapshot earlier) {
			return this.gcMillis - earlier.gcMillis;
		}

		/** The process's CPU time from {@code earlier} to this snapshot. */
		long cpuNanosSince(Snapshot earlier) {
			return this.cpuNanos - earlier.cpuNanos;
		}

		/** CPU time of all the Java threads alive now, from {@code earlier} to this snapshot. */
		long threadCpuNanosSince(Snapshot earlier) {
			return sumSince(this.cpuByThread, earlier.cpuByThread);
		}

		/** Bytes allocated from {@code earlier} to this snapshot by the threads alive now. */
		long allocatedBytesSince(Snapshot earlier) {
			return sumSince(this.allocatedByThread, earlier.allocatedByThread);
		}

		/** CPU time of the live threads whose names start with {@code prefix}, from {@code earlier} to now. */
		long cpuNanosSince(Snapshot earlier, String prefix) {
			return sumSince(this.cpuByThread, earlier.cpuByThread, prefix);
		}

		/** Bytes allocated by the live threads whose names start with {@code prefix}, from {@code earlier} to now. */
		long allocatedBytesSince(Snapshot earlier, String prefix) {
			return sumSince(this.allocatedByThread, earlier.allocatedByThread, prefix);
		}

		private long sumSince(Map<Long, Long> now, Map<Long, Long> earlier) {
			return sumSince(now, earlier, "");
		}

		private long sumSince(Map<Long, Long> now, Map<Long, Long> earlier, String prefix) {
			long sum = 0;
			for (Map.Entry<Long, Long> entry : now.entrySet()) {
				if (this.names.getOrDefault(entry.getKey(), "").startsWith(prefix)) {
					sum += entry.getValue() - earlier.getOrDefault(entry.getKey(), 0L);
				}
			}
			return sum;
		}

	}

}
