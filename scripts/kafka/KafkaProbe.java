// Tells whether a Kafka broker really serves at the given bootstrap address:
// it sends a Metadata request through the real client (Admin#describeCluster)
// and succeeds only if the cluster reports at least one broker. An open TCP
// port alone says nothing (it could be any server, or a broker still fenced).
//
// Run with Java's single-file source launcher and the broker classpath (which
// contains kafka-clients), no build step needed:
//   java -cp "$(cat classpath.txt)" scripts/kafka/KafkaProbe.java 127.0.0.1:9092 [timeoutMs]
// Exit code: 0 = Kafka answers, 1 = it does not.
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;

public class KafkaProbe {
    public static void main(String[] args) {
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
        int timeoutMs = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        // Fail fast instead of retrying against something that is not Kafka.
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        try (Admin admin = Admin.create(props)) {
            DescribeClusterResult r = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs));
            String clusterId = r.clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
            int brokers = r.nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
            if (brokers == 0) {
                System.out.println("kafka at " + bootstrap + " reports no broker yet");
                System.exit(1);
            }
            System.out.println("kafka at " + bootstrap + " serves: cluster " + clusterId + ", " + brokers + " broker(s)");
            System.exit(0);
        } catch (Exception e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            System.out.println("no kafka answering at " + bootstrap + ": " + c.getClass().getSimpleName() + ": " + c.getMessage());
            System.exit(1);
        }
    }
}
