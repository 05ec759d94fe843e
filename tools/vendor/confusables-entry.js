// Unicode's confusable mapping (UTS #39 confusables.txt, through nodeca's unhomoglyph):
// the room page compares display names by it to warn when two look alike.
import unhomoglyph from 'unhomoglyph';

export default unhomoglyph;
