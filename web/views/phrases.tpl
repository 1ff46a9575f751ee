% rebase('layout')
<form method="get" action="/phrases" class="card row">
  <label>{{_('Category')}}<input name="category" value="{{category}}"></label>
  <button type="submit">{{_('Filter')}}</button>
</form>
<table id="phrases">
  <tr><th>{{_('Category')}}</th><th>{{_('Text')}}</th><th></th></tr>
  % for p in rows:
  <tr><td>{{p['category']}}</td><td>{{p['text']}}</td>
      <td>
      % if ctx.can('campaigns'):
      <form method="post" action="/phrases/{{p['id']}}/delete" class="inline">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" class="link">{{_('Delete')}}</button>
      </form>
      % end
      </td></tr>
  % end
</table>
% if ctx.can('campaigns'):
<form method="post" action="/phrases" class="card row" id="phrase-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Category')}}<input name="category" required></label>
  <label>{{_('Text')}}<input name="text" required></label>
  <button type="submit">{{_('Add')}}</button>
</form>
% end
