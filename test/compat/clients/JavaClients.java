// One request with one Java client, as an agent would make it: `java JavaClients.java CLIENT`.
// Unmodified client code: no proxy, trust store or authenticator set in code; only the agent's dummy
// credential (COMPAT_DUMMY). Prints one line; exits 1 with the client's own error on failure.
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

public class JavaClients {
  static final String REPO = "https://api.github.com/repos/octo/hello";

  public static void main(String[] args) throws Exception {
    String auth = "Bearer " + System.getenv().getOrDefault("COMPAT_DUMMY", "dummy");
    try {
      if (args[0].equals("urlconnection")) {
        HttpURLConnection conn = (HttpURLConnection) URI.create(REPO + "?via=java-urlconnection").toURL().openConnection();
        conn.setRequestProperty("Authorization", auth);
        int status = conn.getResponseCode();
        try (InputStream in = conn.getInputStream()) {
          System.out.println(status + " " + upstream(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
      } else {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create(REPO + "?via=java-httpclient")).header("Authorization", auth).build();
        HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString());
        System.out.println(res.statusCode() + " " + upstream(res.body()));
      }
    } catch (Exception e) {
      System.err.println(args[0] + " failed: " + e);
      System.exit(1);
    }
  }

  static String upstream(String json) {
    int i = json.indexOf("\"upstream\":\"") + 12;
    return json.substring(i, json.indexOf('"', i));
  }
}
