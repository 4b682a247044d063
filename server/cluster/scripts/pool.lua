-- The cluster's waiting pool (docs/architecture.md, Cluster mode): every
-- waiter of every node, and one atomic choice of a partner. Run as one
-- script with the operation in ARGV[2]; Redis runs scripts one at a time,
-- so two nodes can never claim the same waiter.
--
-- Keys, all under the prefix ARGV[1] and all with a TTL (refreshed by the
-- waiter's node while it waits):
--   <p>:w:<member>                 a waiter: node, mode, pool, joined, window_end,
--                                  interests (hashes), ticket, suspended
--   <p>:open:<mode>:<pool>         waiters open to anyone (no interests, or window over)
--   <p>:i:<mode>:<pool>:<hash>     waiters who named that interest (hash)
--   <p>:nw:<node>                  the waiters of a node (for its purge)
--   <p>:cd:<hash>                  a pair inside its re-match cooldown (set by the nodes)
--   <p>:pairs                      the pair id counter
-- Members are random ids, interests keyed hashes, nodes opaque ids: nothing
-- here names a user.
--
-- The rules are single-node mode's (PROTOCOL.md, Matching): same mode and
-- pool; a shared interest, or neither inside its interest window; not in a
-- cooldown together; not suspended (a resume grace); uniform among the
-- eligible, with the caller's random number; a fair coin for the offerer.

local p = ARGV[1]
local op = ARGV[2]

local function waiter_key(m) return p .. ':w:' .. m end
local function open_key(mode, pool) return p .. ':open:' .. mode .. ':' .. pool end
local function interest_key(mode, pool, h) return p .. ':i:' .. mode .. ':' .. pool .. ':' .. h end
local function node_key(n) return p .. ':nw:' .. n end

local function split(s)
  local out = {}
  for w in string.gmatch(s or '', '%S+') do out[#out + 1] = w end
  return out
end

local function load(m)
  local flat = redis.call('HGETALL', waiter_key(m))
  if #flat == 0 then return nil end
  local r = {member = m}
  for i = 1, #flat, 2 do r[flat[i]] = flat[i + 1] end
  r.interests = split(r.interests)
  r.window_end = tonumber(r.window_end)
  return r
end

local function in_window(r, now) return #r.interests > 0 and r.window_end > now end

-- Takes a waiter out of every set and deletes its record.
local function remove(r)
  redis.call('SREM', open_key(r.mode, r.pool), r.member)
  for _, h in ipairs(r.interests) do redis.call('SREM', interest_key(r.mode, r.pool, h), r.member) end
  redis.call('SREM', node_key(r.node), r.member)
  redis.call('DEL', waiter_key(r.member))
end

local function expire(key, ttl) redis.call('PEXPIRE', key, ttl) end

-- Lists a waiter in its sets: under each interest, and open once it may
-- meet anyone.
local function list(r, now, ttl)
  for _, h in ipairs(r.interests) do
    local k = interest_key(r.mode, r.pool, h)
    redis.call('SADD', k, r.member)
    expire(k, ttl)
  end
  if not in_window(r, now) then
    local k = open_key(r.mode, r.pool)
    redis.call('SADD', k, r.member)
    expire(k, ttl)
  end
end

local function cooling(a, b, key)
  local lo, hi = a, b
  if hi < lo then lo, hi = hi, lo end
  return redis.call('EXISTS', p .. ':cd:' .. redis.sha1hex(key .. lo .. ':' .. hi)) == 1
end

-- Waiters eligible for r (not r itself), each once.
local function candidates(r, now, key)
  local seen, out = {}, {}
  local function consider(set, m)
    if m == r.member or seen[m] then return end
    seen[m] = true
    local c = load(m)
    -- A waiter whose record expired (its node stopped touching it) is
    -- taken out of the set it was found in.
    if c == nil then redis.call('SREM', set, m) return end
    if c.suspended == '1' or c.mode ~= r.mode or c.pool ~= r.pool then return end
    if cooling(r.member, m, key) then return end
    out[#out + 1] = c
  end
  for _, h in ipairs(r.interests) do
    local set = interest_key(r.mode, r.pool, h)
    for _, m in ipairs(redis.call('SMEMBERS', set)) do consider(set, m) end
  end
  -- The open set holds those whose own window is over; r may take them
  -- only once its window is over too.
  if not in_window(r, now) then
    local set = open_key(r.mode, r.pool)
    for _, m in ipairs(redis.call('SMEMBERS', set)) do consider(set, m) end
  end
  return out
end

-- Picks uniformly among `cands` with the caller's random number and claims
-- the pick; r is taken out too (it may have been listed). Returns the reply.
local function pair_with(r, cands, rnd)
  local n = #cands
  local c = cands[1 + (rnd % n)]
  local coin = math.floor(rnd / n) % 2
  remove(c)
  if redis.call('EXISTS', waiter_key(r.member)) == 1 then remove(r) end
  local mine = {}
  for _, h in ipairs(c.interests) do mine[h] = true end
  local reply = {'paired', redis.call('INCR', p .. ':pairs'), c.member, c.node, c.ticket,
                 coin == 0 and 'offerer' or 'answerer'}
  for _, h in ipairs(r.interests) do
    if mine[h] then reply[#reply + 1] = h end
  end
  return reply
end

-- join / next: member node mode pool joined now window_ms ticket rnd ttl key [interests...]
if op == 'join' then
  local m, node, mode, pool = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
  local joined, now, window = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
  local ticket, rnd, ttl, key = ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12]), ARGV[13]
  local old = load(m)
  if old then remove(old) end
  local r = {member = m, node = node, mode = mode, pool = pool, interests = {}, ticket = ticket,
             suspended = '0'}
  for i = 14, #ARGV do r.interests[#r.interests + 1] = ARGV[i] end
  r.window_end = #r.interests > 0 and joined + window or 0
  local cands = candidates(r, now, key)
  if #cands > 0 then return pair_with(r, cands, rnd) end
  redis.call('HSET', waiter_key(m), 'node', node, 'mode', mode, 'pool', pool, 'joined', joined,
             'window_end', r.window_end, 'interests', table.concat(r.interests, ' '),
             'ticket', ticket, 'suspended', '0')
  expire(waiter_key(m), ttl)
  list(r, now, ttl)
  redis.call('SADD', node_key(node), m)
  expire(node_key(node), ttl)
  return {'queued'}
end

-- rematch: member now rnd ttl key. A waiter whose window ended, whose
-- cooldown ended, or that came back from its grace: matched now if it can be.
if op == 'rematch' then
  local r = load(ARGV[3])
  if r == nil then return {'gone'} end
  if r.suspended == '1' then return {'queued'} end
  local now, rnd, ttl, key = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
  list(r, now, ttl)
  local cands = candidates(r, now, key)
  if #cands > 0 then return pair_with(r, cands, rnd) end
  return {'queued'}
end

-- leave: member. 1 when it was waiting, 0 when it was claimed already (its
-- pairing is on its way to its node).
if op == 'leave' then
  local r = load(ARGV[3])
  if r == nil then return 0 end
  remove(r)
  return 1
end

-- suspend / unsuspend: member. A waiter in its resume grace keeps its place
-- and join time but is nobody's candidate.
if op == 'suspend' or op == 'unsuspend' then
  local flag = op == 'suspend' and '1' or '0'
  if redis.call('EXISTS', waiter_key(ARGV[3])) == 0 then return 0 end
  redis.call('HSET', waiter_key(ARGV[3]), 'suspended', flag)
  return 1
end

-- touch: node ttl. The node is alive: its waiters' keys live on.
if op == 'touch' then
  local node, ttl = ARGV[3], tonumber(ARGV[4])
  local members = redis.call('SMEMBERS', node_key(node))
  for _, m in ipairs(members) do
    local r = load(m)
    if r == nil then
      redis.call('SREM', node_key(node), m)
    else
      expire(waiter_key(m), ttl)
      for _, h in ipairs(r.interests) do expire(interest_key(r.mode, r.pool, h), ttl) end
      expire(open_key(r.mode, r.pool), ttl)
    end
  end
  expire(node_key(node), ttl)
  return #members
end

-- purge: node. A dead node's waiters leave the pool.
if op == 'purge' then
  local node = ARGV[3]
  local members = redis.call('SMEMBERS', node_key(node))
  for _, m in ipairs(members) do
    local r = load(m)
    if r ~= nil then remove(r) end
  end
  redis.call('DEL', node_key(node))
  return #members
end

-- raise_pairs: floor. Pair ids only grow: after a Redis restart the
-- counter starts above every id a node has handed out.
if op == 'raise_pairs' then
  local floor = tonumber(ARGV[3])
  local now = tonumber(redis.call('GET', p .. ':pairs') or '0')
  if now < floor then redis.call('SET', p .. ':pairs', floor) end
  return 1
end

return redis.error_reply('unknown pool operation')
