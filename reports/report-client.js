// Runs inside report.html (inlined after uPlot): draws the charts whose data Node computed.
// Text from the result reaches the page only through textContent (here and inside uPlot).
;(function () {
  'use strict'
  var data = JSON.parse(document.getElementById('fleetbench-data').textContent)
  var num = function (v, digits) {
    return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })
  }
  var fmtMs = function (ms) {
    if (ms === 0) return '0'
    if (ms >= 1000) return num(ms / 1000, 2) + ' s'
    if (ms >= 10) return num(ms, 0) + ' ms'
    if (ms >= 1) return num(ms, 2) + ' ms'
    return num(ms * 1000, 0) + ' µs'
  }
  var fmtY = function (unit, v) {
    if (v == null) return ''
    return unit === 'ms' ? fmtMs(v) : num(v, unit === 'perSec' ? 1 : unit === 'ratio' ? 2 : 0)
  }
  var fmtX = function (spec, x) {
    if (x == null) return ''
    if (spec.x.kind === 'percentile') {
      var p = 100 - 100 / x
      return p <= 0 ? 'min' : 'p' + num(p, 4)
    }
    if (spec.x.kind === 'seconds') return num(x, 1) + ' s'
    var c = spec.x.categories[Math.round(x)]
    return c == null ? '' : c
  }
  var el = function (tag, cls, text) {
    var e = document.createElement(tag)
    if (cls) e.className = cls
    if (text != null) e.textContent = text
    return e
  }

  function options(spec, width, readout) {
    var last = spec.xs.length - 1
    var xScale = spec.x.kind === 'percentile' ? { time: false, distr: 3, log: 10 } : { time: false }
    if (spec.x.kind === 'category') xScale.range = function () { return [-0.4, last + 0.4] }
    var xAxis = { label: spec.x.label, values: function (u, splits) { return splits.map(function (x) { return fmtX(spec, x) }) } }
    if (spec.x.kind === 'percentile') {
      // min, p50, p75, p90, p95, p99, p99.9 …: every label drawn (no log-axis thinning).
      xAxis.splits = function () {
        var out = [1, 2, 4]
        for (var x = 10; x <= spec.xs[last] * 1.0001; x *= 10) out.push(x)
        if (spec.xs[last] >= 20) out.splice(4, 0, 20)
        return out
      }
      xAxis.filter = function (u, splits) { return splits }
    } else if (spec.x.kind === 'seconds') {
      xAxis.incrs = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]
    } else {
      xAxis.splits = function () { return spec.xs.slice() }
    }
    var yAxis = { label: spec.y.label, size: 70, values: function (u, splits) { return splits.map(function (v) { return fmtY(spec.y.unit, v) }) } }
    var series = [{}]
    spec.lines.forEach(function (line) {
      series.push({
        label: line.label,
        stroke: line.color,
        width: line.baselineOf ? 1.5 : 2,
        dash: line.dash,
        spanGaps: spec.x.kind === 'percentile',
        // Sparse charts always show their points; dense ones let uPlot show them only when far apart
        // (so a line of one point, e.g. a one-second cell, is still drawn).
        points: spec.points ? { show: true, size: 5, fill: line.color } : { size: 6, fill: line.color },
      })
    })
    return {
      width: width,
      height: spec.id === 'spectrum' ? 380 : 280,
      scales: { x: xScale, y: spec.y.log ? { distr: 3, log: 10 } : { range: function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1] } } },
      axes: [xAxis, yAxis],
      series: series,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      hooks: { setCursor: [function (u) { readout(u) }] },
    }
  }

  // Hovering shows the line nearest the pointer: its label, x and value.
  function readoutFor(spec, target) {
    return function (u) {
      var idx = u.cursor.idx
      var best = null
      if (idx != null && u.cursor.top != null && u.cursor.top >= 0) {
        for (var i = 1; i < u.series.length; i++) {
          var v = u.data[i][idx]
          if (!u.series[i].show || v == null) continue
          var d = Math.abs(u.valToPos(v, 'y') - u.cursor.top)
          if (best === null || d < best.d) best = { d: d, i: i, v: v }
        }
      }
      target.textContent = best === null ? '' : spec.lines[best.i - 1].label + ' · ' + fmtX(spec, u.data[0][idx]) + ' · ' + fmtY(spec.y.unit, best.v)
    }
  }

  // One entry per line (baselines are toggled with their line); a click hides or shows it.
  function legend(spec, plot, box) {
    spec.lines.forEach(function (line, i) {
      if (line.baselineOf) return
      var item = el('button', 'entry')
      item.type = 'button'
      var mark = el('span', 'mark')
      mark.style.borderTopColor = line.color
      if (line.dash) mark.style.borderTopStyle = line.dash[0] <= 2 ? 'dotted' : 'dashed'
      item.appendChild(mark)
      item.appendChild(el('span', null, line.label))
      item.addEventListener('click', function () {
        var show = !plot.series[i + 1].show
        item.classList.toggle('off', !show)
        spec.lines.forEach(function (other, j) {
          if (j === i || other.baselineOf === line.label) plot.setSeries(j + 1, { show: show })
        })
      })
      box.appendChild(item)
    })
  }

  var drawn = []
  data.charts.forEach(function (spec) {
    var box = document.getElementById('chart-' + spec.id)
    if (!box) return
    var readout = el('div', 'readout', '')
    var area = el('div', 'plot')
    var keys = el('div', 'legend')
    box.appendChild(readout)
    box.appendChild(area)
    box.appendChild(keys)
    var width = Math.max(320, box.clientWidth)
    var plot = new uPlot(options(spec, width, readoutFor(spec, readout)), [spec.xs].concat(spec.lines.map(function (l) { return l.values })), area)
    legend(spec, plot, keys)
    drawn.push({ box: box, plot: plot })
  })
  window.addEventListener('resize', function () {
    drawn.forEach(function (d) { d.plot.setSize({ width: Math.max(320, d.box.clientWidth), height: d.plot.height }) })
  })
  window.fleetbenchCharts = drawn.length
})()
