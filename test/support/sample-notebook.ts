// A ModelArts notebook another IAM user of the project owns (ListNotebooks, the key owner's own,
// does not show it; ListAllNotebooks does), running `imageId`.

export const colleagueNotebook = (imageId: string) => ({
  id: 'a7e2c1d0-0000-4000-8000-00000000c011',
  name: 'colleague-notebook',
  status: 'STOPPED',
  image: { id: imageId },
  user: { id: '9c8b7a6f5e4d43218f7e6d5c4b3a2910', name: 'colleague' },
});
