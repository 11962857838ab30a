/** MQTT topic filter matching (MQTT 3.1.1 §4.7): `+` one level, `#` the rest, `$` topics only by name. */
export function matchesFilter(filter: string, topic: string): boolean {
  if (filter === topic) return true
  const f = filter.split('/')
  const t = topic.split('/')
  if (t[0]?.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    const part = f[i]!
    if (part === '#') return i === f.length - 1
    if (i >= t.length) return false
    if (part !== '+' && part !== t[i]) return false
  }
  return f.length === t.length
}
