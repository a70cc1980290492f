/**
 * HTTP endpoints of the monitor: /metrics, /healthz, the JSON API, and the page at / that draws the API (its files are
 * classpath resources under io/lipwatch/monitor/http/ui, with the vendored uPlot charting library and its licence).
 */
package io.lipwatch.monitor.http;
