// The pure parts of `npm run faults:hosts` (load-tests/hosts/): the nginx
// configuration it runs is the one docs/operations.md documents, changed only
// where a test network must differ; the subnet it takes is one nothing on the
// machine uses. The full run (namespaces, root) stays outside CI.
import t from 'tap';
import { pickSubnet } from '../../load-tests/hosts/netns.js';
import { documentedConfig, testConfig } from '../../load-tests/hosts/nginx.js';

t.test('the test nginx is the documented one with the test upstreams and listen address', async (t) => {
  const documented = documentedConfig();
  const conf = testConfig(documented, ['10.213.50.11:3000', '10.213.50.12:3000'], '10.213.50.1:8080');
  t.match(conf, /upstream exam_api \{[^}]*server 10\.213\.50\.11:3000 max_fails=0;\n\s*server 10\.213\.50\.12:3000 max_fails=0;/, 'both API hosts, with the documented parameters');
  t.notMatch(conf, /10\.0\.1\.1[12]/, 'no documented upstream is left');
  t.match(conf, /listen 10\.213\.50\.1:8080;/);
  t.notMatch(conf, /ssl/, 'plain HTTP on the test network');
  t.notMatch(conf.replace(/#.*$/gm, ''), /ip_hash|sticky|hash \$/, 'no sticky sessions');
  // Everything else is the documentation's, line for line.
  const kept = (text: string) => text.split('\n').filter((l) => !/^\s*(server\s+\S+:\d+|listen|ssl_certificate)/.test(l));
  t.same(kept(conf), kept(documented));
  for (const line of ['proxy_set_header Upgrade $http_upgrade;', 'proxy_set_header Connection $connection_upgrade;', 'proxy_next_upstream error timeout;']) {
    t.ok(conf.includes(line), line);
  }
  t.throws(() => testConfig('server { listen 80; }', ['a:1'], 'b:2'), /no upstream server lines/);
});

t.test('the subnet taken is a /24 of 10.213/16 that no address or route of the machine uses', async (t) => {
  const taken = ['1: lo    inet 127.0.0.1/8 scope host lo', '2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0'];
  const used = Array.from({ length: 229 }, (_, i) => `10.213.${20 + i}.0/24 dev br${i} proto kernel scope link src 10.213.${20 + i}.1`);
  // Only 10.213.249 is left among the octets the harness picks from: found whatever the random start.
  const picks = new Set(Array.from({ length: 50 }, () => pickSubnet([...taken, ...used].join('\n'))));
  t.same([...picks], ['10.213.249']);
  for (let i = 0; i < 20; i++) {
    const p = pickSubnet(taken.join('\n'));
    t.match(p, /^10\.213\.\d+$/);
    t.ok(Number(p.split('.')[2]) >= 20 && Number(p.split('.')[2]) < 250, p);
  }
  t.throws(() => pickSubnet('default via 10.0.0.1 dev eth0\n10.0.0.0/8 dev eth0 scope link'), /in use/, 'a route over all of 10/8 leaves nothing');
  t.throws(() => pickSubnet('10.213.0.0/16 dev wg0 scope link'), /in use/, 'nor does one over 10.213/16');
});
