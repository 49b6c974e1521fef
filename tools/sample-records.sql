-- Sample records that `make run` loads into a new dev database
-- (zone dyn.example.test from config.yaml.sample).
INSERT OR IGNORE INTO records (name, type, value, ttl) VALUES
  ('home.dyn.example.test', 'A', '203.0.113.45', 60),
  ('home.dyn.example.test', 'AAAA', '2001:db8::45', 60),
  ('nas.dyn.example.test', 'CNAME', 'home.dyn.example.test', NULL),
  ('dyn.example.test', 'TXT', 'v=spf1 -all', NULL),
  ('*.lb.dyn.example.test', 'A', '198.51.100.7', 30);
