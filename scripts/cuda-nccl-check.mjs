// CUDA check (scripts/cuda-check.sh): an NCCL process group with one rank on the GPU, collectives, and DDP steps through c10d's Reducer.
import * as torch from '../dist/src/torch/index.js';
const { distributed: dist, nn, optim } = torch;
process.env.MASTER_ADDR = '127.0.0.1'; process.env.MASTER_PORT = '29533';
const pg = await dist.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1 });
const t = torch.tensor([1, 2, 3]).to({ device: 'cuda' });
await dist.allReduce(t);
console.log('nccl allReduce', t.device, Array.from(t.cpu().data()));
const b = torch.tensor([7, 8]).to({ device: 'cuda' });
await dist.broadcast(b, 0);
console.log('nccl broadcast', Array.from(b.cpu().data()));
torch.manualSeed(0);
const lin = new nn.Linear(4, 2); lin.to('cuda');
const ddp = new dist.DistributedDataParallel(lin);
const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
const x = torch.randn([8, 4]).to({ device: 'cuda' });
for (let i = 0; i < 3; i++) {
  opt.zeroGrad();
  const loss = ddp.forward(x).pow(2).mean();
  loss.backward();
  await torch.yieldToEventLoop();
  opt.step();
  console.log('ddp step', i, 'loss', loss.item());
}
dist.destroyProcessGroup();
console.log('NCCL check OK');
