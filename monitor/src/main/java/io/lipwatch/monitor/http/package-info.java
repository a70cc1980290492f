/** HTTP endpoints of the monitor: /metrics, /healthz and the JSON API. */
package io.lipwatch.monitor.http;
