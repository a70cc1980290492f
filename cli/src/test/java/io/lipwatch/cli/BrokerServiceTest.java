package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lipwatch.estimator.lifecycle.Service;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/** The broker's lifecycle as the demo drives it: NEW → RUNNING (serving) → STOPPED, close idempotent. */
class BrokerServiceTest {
  @Test
  void startsServesAndStopsOnce() throws Exception {
    BrokerService broker = new BrokerService(0, null);
    assertEquals(Service.State.NEW, broker.state());
    broker.start();
    try {
      assertEquals(Service.State.RUNNING, broker.state());
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        assertFalse(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).isEmpty());
      }
    } finally {
      broker.close();
    }
    assertEquals(Service.State.STOPPED, broker.state());
    broker.close();
    assertEquals(Service.State.STOPPED, broker.state());
  }

  @Test
  void aPortInUseFailsWithTheReason() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
      BrokerService broker = new BrokerService(taken.getLocalPort(), null);
      IllegalStateException e = assertThrows(IllegalStateException.class, broker::start);
      assertEquals(Service.State.FAILED, broker.state());
      org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(String.valueOf(taken.getLocalPort())), e.getMessage());
      broker.close();
    }
  }
}
